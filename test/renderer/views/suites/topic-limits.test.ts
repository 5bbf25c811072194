import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import SuitesView from '../../../../src/renderer/src/views/suites/SuitesView.svelte'

afterEach(() => cleanup())

describe('Suites view: topic settings ranges', () => {
  it("bounds the topic inputs by the ranges suites.topic and the CLI's suite topic accept (src/shared/generation-settings.ts)", () => {
    const app = { info: { version: 't' }, model: { name: 'm', config: { numSenses: 16 } } }
    const suites = {
      running: null,
      progress: null,
      errorOf: () => null,
      requestOf: () => null,
      genderBias: null,
      knowledgeEdit: null,
      topic: null,
      cancel: () => undefined,
    }
    const evaluation = { documents: [], result: null, about: null, error: null, running: false, progress: null }
    render(SuitesView, { props: { app, suites, evaluation, edits: { edits: [], document: null } } as never })
    const samples = screen.getByLabelText('samples')
    expect(samples.getAttribute('min')).toBe('1')
    expect(samples.getAttribute('max')).toBe('10000')
    expect((samples as HTMLInputElement).value).toBe('2')
    const tokens = screen.getAllByLabelText('new tokens').at(-1)!
    expect(tokens.getAttribute('max')).toBe('512')
    expect((tokens as HTMLInputElement).value).toBe('30')
    // sample s uses seed + s: with the default 2 samples the seed may be at most 2^32 − 2
    expect(screen.getByLabelText('seed').getAttribute('max')).toBe('4294967294')
  })
})
