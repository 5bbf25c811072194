import { describe, expect, it } from 'vitest'
import { EditsState } from '../../../src/renderer/src/state/edits-state.svelte'
import { fakeClient, ok } from '../fake-client'

describe('EditsState', () => {
  const validating = () =>
    fakeClient({
      'edits.validate': ({ document }) => {
        const d = document as { format?: string; edits?: unknown[] }
        return d?.format === 'backpack-sense-edits' && Array.isArray(d.edits)
          ? ok({ document: d as never })
          : { ok: false, error: { code: 'edit-invalid', message: 'not a sense-edit document' } }
      },
    })

  it('adds, replaces and removes edits immutably', () => {
    const state = new EditsState(fakeClient().client)
    const before = state.document
    state.add({ kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0 })
    state.add({ kind: 'topic', topic: 'sports', strength: 2 })
    expect(before.edits).toEqual([])
    state.replace(0, { kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0.5 })
    state.remove(1)
    expect(state.edits).toEqual([{ kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0.5 }])
  })

  it('round-trips the document through export and import', async () => {
    const { client } = validating()
    const a = new EditsState(client)
    a.add({ kind: 'knowledge-edit', token: ' MacBook', remove: ' Apple', add: ' HP' })
    const b = new EditsState(client)
    expect(await b.importText(a.exportText())).toBe(true)
    expect(b.document).toEqual(a.document)
  })

  it('refuses a file that is not JSON or not a document, and keeps the current edits', async () => {
    const { client } = validating()
    const state = new EditsState(client)
    state.add({ kind: 'scale-sense', token: 1, factor: 2 })
    expect(await state.importText('{oops')).toBe(false)
    expect(state.error?.code).toBe('edit-invalid')
    expect(await state.importText('{"format":"other"}')).toBe(false)
    expect(state.edits).toHaveLength(1)
  })

  it('imports what the native menu read (edits.imported event)', async () => {
    const { client, emit } = validating()
    const state = new EditsState(client)
    emit('edits.imported', {
      fileName: 'x.json',
      document: { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: 5, factor: 0 }] },
    })
    await new Promise((r) => setTimeout(r, 0))
    expect(state.edits).toEqual([{ kind: 'scale-sense', token: 5, factor: 0 }])
  })
})
