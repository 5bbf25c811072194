import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import GenerateView from '../../../../src/renderer/src/views/generate/GenerateView.svelte'
import { GenerateState } from '../../../../src/renderer/src/state/generate-state.svelte'
import { fakeClient } from '../../fake-client'

afterEach(() => cleanup())

describe('Generate view: settings ranges', () => {
  it('bounds its inputs by the ranges generate.run and the CLI accept (src/shared/generation-settings.ts)', () => {
    const app = { info: { version: 't' }, model: { name: 'm' } }
    // the real state (its settings are reactive: the view binds its inputs to them)
    const generation = new GenerateState(fakeClient().client)
    generation.settings.strategy = 'sample'
    const props = { app, generation, prompt: { text: 'The nurse' }, edits: { edits: [], document: null } }
    render(GenerateView, { props: props as never })
    const seed = screen.getByTestId('gen-seed')
    expect(seed.getAttribute('min')).toBe('0')
    expect(seed.getAttribute('max')).toBe('4294967295')
    expect(screen.getByLabelText('temperature').getAttribute('max')).toBe('100')
    expect(screen.getByLabelText('top-k').getAttribute('max')).toBe('100000')
    expect(screen.getByLabelText('new tokens').getAttribute('max')).toBe('512')
  })
})
