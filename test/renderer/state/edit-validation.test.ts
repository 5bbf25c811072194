import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import ErrorNote from '../../../src/renderer/src/components/ErrorNote.svelte'
import { numberEditsFromOne } from '../../../src/renderer/src/lib/edit-numbers'
import { EditsState } from '../../../src/renderer/src/state/edits-state.svelte'
import { fakeClient, ok } from '../fake-client'

afterEach(() => cleanup())

// like the main side: an edit whose sense is outside [0, 16) is refused, named by its array index
const validating = () =>
  fakeClient({
    'edits.validate': ({ document }) => {
      const edits = (document as { edits: { sense?: number }[] }).edits
      const bad = edits.findIndex((e) => e.sense !== undefined && e.sense >= 16)
      return bad < 0
        ? ok({ document: document as never })
        : { ok: false, error: { code: 'edit-invalid', message: `edit ${bad} (scale-sense): sense ${edits[bad].sense} is outside [0, 16)` } }
    },
  })

describe('An edit is validated before it joins the list', () => {
  it('a valid edit joins; an invalid one is refused and the list is unchanged', async () => {
    const { client, calls } = validating()
    const state = new EditsState(client)
    expect(await state.addValidated({ kind: 'scale-sense', token: ' nurse', sense: 2, factor: 0 })).toBe(true)
    expect(await state.addValidated({ kind: 'scale-sense', token: ' nurse', sense: 99, factor: 0 })).toBe(false)
    expect(state.edits).toEqual([{ kind: 'scale-sense', token: ' nurse', sense: 2, factor: 0 }])
    expect(state.error?.code).toBe('edit-invalid')
    expect(calls.filter((c) => c.method === 'edits.validate')).toHaveLength(2)
    // the error clears with the next valid edit
    expect(await state.addValidated({ kind: 'topic', topic: 'sports', strength: 1 })).toBe(true)
    expect(state.error).toBeNull()
  })

  it('errors name the edit by the number the list shows (from 1)', async () => {
    const { client } = validating()
    const state = new EditsState(client)
    await state.addValidated({ kind: 'scale-sense', token: ' nurse', sense: 2, factor: 0 })
    await state.addValidated({ kind: 'scale-sense', token: ' nurse', sense: 99, factor: 0 })
    render(ErrorNote, { props: { error: state.error } })
    expect(screen.getByRole('alert').textContent).toContain('edit 2 (scale-sense)')
    expect(screen.getByRole('alert').textContent).not.toContain('edit 1 ')
  })

  it('renumbers index references and schema paths, and leaves other numbers alone', () => {
    expect(numberEditsFromOne('edit 0 (topic): only one topic edit per document is allowed (edit 3 is one)')).toBe(
      'edit 1 (topic): only one topic edit per document is allowed (edit 4 is one)',
    )
    expect(numberEditsFromOne('sense-edit document: edits.2.sense: Too big')).toBe('sense-edit document: edit 3 (sense): Too big')
    expect(numberEditsFromOne('sense 12 of token 5 at position 0')).toBe('sense 12 of token 5 at position 0')
  })
})
