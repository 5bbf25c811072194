import { cleanup, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import TopKTable from '../../../src/renderer/src/components/TopKTable.svelte'
import { EditsState } from '../../../src/renderer/src/state/edits-state.svelte'
import { fakeClient, ok } from '../fake-client'

afterEach(() => cleanup())

describe('TopKTable', () => {
  it('draws a bar per next-token probability and gives Δp in percentage points', () => {
    const items = [
      { id: 1, text: ' the', prob: 0.5, logit: 3 },
      { id: 2, text: ' a', prob: 0.125, logit: 1 },
    ]
    render(TopKTable, { caption: 'Edited', items, baseline: [{ id: 1, text: ' the', prob: 0.4, logit: 2 }] })
    expect(screen.getAllByTestId('p-bar').map((b) => b.style.width)).toEqual(['50%', '12.5%'])
    expect(screen.getByRole('columnheader', { name: 'Δp (pp)' })).toBeTruthy()
    const cells = screen
      .getAllByRole('row')
      .slice(1)
      .map((r) => r.lastElementChild!.textContent)
    expect(cells).toEqual(['+10.00 pp', 'new'])
  })
})

describe('Blast radius belongs to the edits it bounded', () => {
  it('is marked stale once the edits change', async () => {
    const { client } = fakeClient({ 'edits.blastRadius': () => ok({ pairs: [], notCovered: [] }) })
    const state = new EditsState(client)
    state.add({ kind: 'scale-sense', token: ' nurse', sense: 1, factor: 0 })
    await state.computeBlastRadius([{ a: ' he', b: ' she' }])
    expect(state.blastRadiusStale).toBe(false)
    state.replace(0, { kind: 'scale-sense', token: ' nurse', sense: 1, factor: 0.5 })
    expect(state.blastRadiusStale).toBe(true)
  })
})
