import { cleanup, fireEvent, render, screen } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../../../../src/renderer/src/App.svelte'
import type { BlastRadiusResponse } from '../../../../src/shared/ipc/api-types'
import { fakeClient, ok } from '../../fake-client'

afterEach(() => cleanup())

const info = { version: 't', transport: 'http' as const, model: null }
const pair = { a: { id: 339, text: ' he' }, b: { id: 673, text: ' she' }, maxIncrease: 0.5, maxDecrease: -0.25 }

async function showRadius(response: BlastRadiusResponse) {
  window.location.hash = '#/interventions'
  const { client, calls } = fakeClient({
    'app.info': () => ok(info),
    'model.recent': () => ok({ checkpoints: [] }),
    'edits.validate': ({ document }) => ok({ document: document as never }),
    'edits.blastRadius': () => ok(response),
  })
  render(App, { client })
  await fireEvent.click(await screen.findByTestId('add-edit')) // scale ' nurse' sense 10 by 0
  await screen.findByTestId('edit-row') // once edits.validate accepted it
  await fireEvent.click(screen.getByRole('button', { name: 'Bound the change over all contexts' }))
  await screen.findByText('0.500')
  return calls
}

describe('Interventions view: blast radius', () => {
  it('names the edits the bound does not cover (1-based, as in the edit list)', async () => {
    const calls = await showRadius({
      pairs: [pair],
      notCovered: [
        { index: 1, kind: 'topic' },
        { index: 2, kind: 'scale-contextualization' },
      ],
    })
    expect(calls.some((c) => c.method === 'edits.blastRadius')).toBe(true)
    expect(screen.getByTestId('blast-radius-not-covered').textContent).toMatch(/not bounded: edit 2 \(topic\), edit 3 \(α\)/)
  })

  it('says nothing more when every edit is covered', async () => {
    await showRadius({ pairs: [pair], notCovered: [] })
    expect(screen.queryByTestId('blast-radius-not-covered')).toBeNull()
  })
})
