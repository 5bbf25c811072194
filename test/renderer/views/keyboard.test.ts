import { cleanup, fireEvent, render, screen, within } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../../../src/renderer/src/App.svelte'
import { shortcutFor } from '../../../src/renderer/src/lib/shortcuts'
import { VIEWS } from '../../../src/renderer/src/state/route-state.svelte'
import { fakeClient, ok } from '../fake-client'

afterEach(() => cleanup())

const key = (k: string) => ({ key: k, ctrlKey: false, metaKey: false, altKey: false })

describe('Keyboard', () => {
  it('maps keys to actions, and never steals keys typed into a field', () => {
    expect(shortcutFor(key('3'), document.body)).toEqual({ kind: 'view', view: 'senses' })
    expect(shortcutFor(key('?'), document.body)).toEqual({ kind: 'help' })
    expect(shortcutFor(key('9'), document.body)).toEqual({ kind: 'view', view: 'teach' }) // the ninth view
    expect(shortcutFor(key('0'), document.body)).toEqual({ kind: 'view', view: 'sweeps' }) // 0: the tenth
    expect(shortcutFor(key(String(VIEWS.length + 1)), document.body)).toBeNull() // no view past the last
    expect(shortcutFor({ ...key('1'), ctrlKey: true }, document.body)).toBeNull()
    expect(shortcutFor(key('3'), document.createElement('input'))).toBeNull()
    expect(shortcutFor(key('?'), document.createElement('textarea'))).toBeNull()
  })

  it('`?` opens the shortcut list, Escape closes it, digits switch views', async () => {
    window.location.hash = '#/model'
    const info = { version: 't', transport: 'http' as const, model: null }
    const { client } = fakeClient({ 'app.info': () => ok(info), 'model.recent': () => ok({ checkpoints: [] }) })
    render(App, { client })
    await fireEvent.keyDown(document.body, { key: '?' })
    const help = screen.getByTestId('shortcut-help')
    expect(within(help).getAllByRole('row').length).toBeGreaterThan(8)
    expect(document.activeElement).toBe(within(help).getByRole('button', { name: 'Close' }))
    await fireEvent.keyDown(document.body, { key: 'Escape' })
    expect(screen.queryByTestId('shortcut-help')).toBeNull()
    await fireEvent.keyDown(document.body, { key: '3' })
    expect((await screen.findByRole('heading', { level: 2 })).textContent).toBe('Senses')
    expect(window.location.hash).toBe('#/senses')
  })
})
