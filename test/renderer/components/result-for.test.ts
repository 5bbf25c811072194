import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import ResultFor from '../../../src/renderer/src/components/ResultFor.svelte'
import { GenerateState } from '../../../src/renderer/src/state/generate-state.svelte'
import { SuitesState } from '../../../src/renderer/src/state/suites-state.svelte'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import { fakeClient, ok } from '../fake-client'

afterEach(() => cleanup())

const doc = (n: number): SenseEditDocument => ({
  format: 'backpack-sense-edits',
  version: 1,
  edits: Array.from({ length: n }, () => ({ kind: 'scale-sense' as const, token: ' nurse', factor: 0 })),
})

describe('Results name their inputs and are marked stale when they change', () => {
  it('names the prompt and the edits; marks a changed prompt or edits stale', () => {
    const d = doc(2)
    render(ResultFor, { text: 'The nurse', currentText: 'The nurse', edits: d, currentEdits: d })
    expect(screen.getByTestId('result-for').textContent).toMatch(/for "The nurse",\s*with 2 edits/)
    expect(screen.getByTestId('result-for').dataset.stale).toBe('false')
    cleanup()
    render(ResultFor, { text: 'The nurse', currentText: 'The doctor', edits: d, currentEdits: d })
    expect(screen.getByTestId('result-for').textContent).toContain('stale: the prompt changed')
    cleanup()
    render(ResultFor, { edits: d, currentEdits: doc(2) })
    expect(screen.getByTestId('result-for').textContent).toContain('stale: the edits changed')
  })

  it('the generation and the suites keep the inputs their result came from', async () => {
    const d = doc(1)
    const { client } = fakeClient({
      'generate.run': () =>
        ok({ baseline: { text: '', tokens: [], stopReason: 'length', tokensPerSecond: 1 }, edited: null, firstDifference: null } as never),
      'suites.knowledgeEdit': () => ok({ cases: [] } as never),
    })
    const g = new GenerateState(client)
    await g.run('The nurse', d)
    expect(g.about).toEqual({ text: 'The nurse', edits: d })
    const s = new SuitesState(client)
    expect(s.ranWith('knowledgeEdit')).toBeNull()
    await s.runKnowledgeEdit(d)
    expect(s.ranWith('knowledgeEdit')).toBe(d)
  })
})
