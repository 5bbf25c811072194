import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import SuitesView from '../../../../src/renderer/src/views/suites/SuitesView.svelte'
import type { KnowledgeEditView } from '../../../../src/shared/ipc/api-types'

afterEach(() => cleanup())

const probe = { pAdd: 0.01, pRemove: 0.02 }
const kase = (name: string, explanation?: string[]): KnowledgeEditView['cases'][number] => ({
  name,
  mean: { before: probe, after: probe, logOddsChange: 0 },
  senseChange: { norm: 0, relative: 0 },
  ...(explanation ? { explanation } : {}),
  degradation: {
    heldout: { tokens: 10, editedTokenOccurrences: 0, perplexityBefore: 5, perplexityAfter: 5, relativeChange: 0 },
    unrelated: { prompts: 3, promptsWithEditedToken: 0, meanKl: 0, maxKl: 0 },
    mentions: null,
  },
})

describe('Suites view: knowledge-edit explanations', () => {
  it('shows why a case can have no effect under that case, and nothing for a case without one', () => {
    const app = { info: { version: 't' }, model: { name: 'm', config: { numSenses: 16 } } }
    const knowledgeEdit: KnowledgeEditView = {
      edited: false,
      cases: [
        kase('Brady→Colts', [
          '" Patriots" and " Colts" have identical embedding rows on this model: the edit cannot separate them and has no effect',
        ]),
        kase('Other'),
      ],
    }
    const suites = {
      running: null,
      progress: null,
      errorOf: () => null,
      requestOf: () => null,
      genderBias: null,
      knowledgeEdit,
      topic: null,
      cancel: () => undefined,
      ranWith: () => null,
    }
    const evaluation = { documents: [], result: null, about: null, error: null, running: false, progress: null }
    render(SuitesView, { props: { app, suites, evaluation, edits: { edits: [], document: null } } as never })
    const notes = screen.getAllByTestId('knowledge-explanation')
    expect(notes).toHaveLength(1)
    expect(notes[0].textContent).toContain('" Colts"')
    expect(notes[0].previousElementSibling?.textContent).toContain('Brady→Colts')
  })
})
