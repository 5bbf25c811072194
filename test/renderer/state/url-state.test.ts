import { cleanup, fireEvent, render, screen, waitFor } from '@testing-library/svelte'
import { afterEach, describe, expect, it } from 'vitest'
import App from '../../../src/renderer/src/App.svelte'
import { decodeEdits, encodeEdits } from '../../../src/renderer/src/lib/edits-url'
import { parseHash } from '../../../src/renderer/src/state/route-state.svelte'
import { fakeClient, ok } from '../fake-client'

afterEach(() => cleanup())

const doc = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' naïve 🙂', sense: 3, factor: 0 }] }

function app() {
  const info = { version: 't', transport: 'http' as const, model: null }
  return fakeClient({
    'app.info': () => ok(info),
    'model.recent': () => ok({ checkpoints: [] }),
    'tokens.encode': () => ok({ tokens: [] }),
    'edits.validate': ({ document }) => {
      const d = document as { format?: string; edits?: unknown[] }
      return d?.format === 'backpack-sense-edits' && Array.isArray(d.edits)
        ? ok({ document: d as never })
        : { ok: false, error: { code: 'edit-invalid', message: 'not a sense-edit document' } }
    },
  })
}

describe('The URL is the state', () => {
  it('edits encode to base64url and decode to the same document; anything else decodes to null', () => {
    const text = encodeEdits(doc)
    expect(text).toMatch(/^[A-Za-z0-9_-]+$/)
    expect(decodeEdits(text)).toEqual(doc)
    expect(decodeEdits('not base64!')).toBeNull()
    expect(decodeEdits('abcde')).toBeNull()
    expect(decodeEdits(encodeEdits('x').slice(0, -1))).toBeNull()
  })

  it('a URL with a prompt and edits reopens them; a changed edit list is written back; navigation keeps them', async () => {
    const enc = encodeEdits(doc)
    window.location.hash = `#/interventions?text=${encodeURIComponent('The nurse said')}&edits=${enc}`
    const { client } = app()
    render(App, { client })
    expect((await screen.findAllByTestId('edit-row')).length).toBe(1)
    expect(screen.getByTestId('edit-row').textContent).toContain('" naïve 🙂"')
    // another edit: the URL now carries both
    await fireEvent.click(screen.getByTestId('add-edit'))
    await waitFor(() => expect(screen.getAllByTestId('edit-row')).toHaveLength(2))
    await waitFor(() => expect((decodeEdits(parseHash(window.location.hash).params.edits) as typeof doc).edits).toHaveLength(2))
    expect(parseHash(window.location.hash).params.text).toBe('The nurse said')
    // the nav links carry the prompt and the edits to the other views
    const link = screen.getByRole('link', { name: 'Generate' }).getAttribute('href')!
    expect(parseHash(link)).toEqual({ view: 'generate', params: parseHash(window.location.hash).params })
    window.location.hash = screen.getByRole('link', { name: 'Prompt' }).getAttribute('href')!
    await waitFor(() => expect((screen.getByTestId('prompt-input') as HTMLTextAreaElement).value).toBe('The nurse said'))
  })

  it('edits in the URL that are not a document are refused with a typed error, not applied', async () => {
    window.location.hash = `#/interventions?edits=${encodeEdits({ format: 'other' })}`
    const { client } = app()
    render(App, { client })
    expect((await screen.findByRole('alert')).textContent).toContain('edit-invalid')
    expect(screen.queryAllByTestId('edit-row')).toHaveLength(0)
  })
})
