import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../../src/renderer/src/App.svelte'
import { fakeClient, ok } from './fake-client'

afterEach(() => cleanup())

const info = () => ({
  version: 't',
  transport: 'http' as const,
  model: null,
})

describe('App', () => {
  it('opens the view named in the hash, with its parameters', async () => {
    window.location.hash = '#/senses?word=%20nurse'
    const { client, calls } = fakeClient({ 'app.info': () => ok(info()), 'model.recent': () => ok({ checkpoints: [] }) })
    render(App, { client })
    expect((await screen.findByRole('heading', { level: 2 })).textContent).toBe('Senses')
    expect(screen.getByRole('link', { name: 'Senses' }).getAttribute('aria-current')).toBe('page')
    // no model is loaded: the atlas is not requested and the view says why
    expect(await screen.findByText('Load a model to look up senses.')).toBeTruthy()
    expect(calls.some((c) => c.method === 'senses.lookup')).toBe(false)
  })
})
