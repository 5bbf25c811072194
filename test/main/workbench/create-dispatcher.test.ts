import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ERROR_CODES, isErrorInfo } from '../../../src/shared/errors'
import { API_METHODS } from '../../../src/shared/ipc/api'
import { REQUEST_SCHEMAS } from '../../../src/shared/ipc/request-schemas'
import { createDispatcher } from '../../../src/main/workbench/create-dispatcher'
import { Workbench } from '../../../src/main/workbench/workbench'

// no model loaded and no bundled demo: model methods answer typed errors; the store is a real file
const env = { ...process.env }
const workbenches: Workbench[] = []
beforeAll(() => {
  const dir = mkdtempSync(join(tmpdir(), 'bw-dispatch-'))
  process.env.BACKPACK_RESOURCES_DIR = join(dir, 'no-resources')
  process.env.BACKPACK_DATA_DIR = join(dir, 'data')
  process.env.BACKPACK_CACHE_DIR = join(dir, 'cache')
})
afterAll(async () => {
  for (const w of workbenches) await w.dispose()
  process.env = env
})

function realDispatch() {
  const workbench = new Workbench({ transport: 'http', version: 'test' })
  workbenches.push(workbench)
  return { workbench, dispatch: createDispatcher(workbench.handlers()) }
}

describe('the API contract', () => {
  it('has a request schema for every method and a method for every schema', () => {
    expect(Object.keys(REQUEST_SCHEMAS).sort()).toEqual([...API_METHODS].sort())
    expect(new Set(API_METHODS).size).toBe(API_METHODS.length)
  })

  it('the workbench implements every method, and each answers a Result (never throws)', async () => {
    const { workbench, dispatch } = realDispatch()
    const handlers = workbench.handlers()
    for (const m of API_METHODS) expect(typeof handlers[m]).toBe('function')
    for (const m of API_METHODS) {
      const res = await dispatch(m, {})
      if (!res.ok) expect(ERROR_CODES).toContain(res.error.code)
    }
  })

  it('refuses unknown methods with bad-request', async () => {
    const { dispatch } = realDispatch()
    for (const name of ['nope', '', 'constructor', '__proto__', 'toString', 42, null, { a: 1 }]) {
      const res = await dispatch(name, {})
      expect(res.ok).toBe(false)
      if (!res.ok) expect(res.error.code).toBe('bad-request')
    }
  })

  it('validates requests: wrong types and unknown fields are bad-request', async () => {
    const { dispatch } = realDispatch()
    const bad: [string, unknown][] = [
      ['tokens.encode', { text: 42 }],
      ['tokens.encode', { text: 'a', extra: 1 }],
      ['predict.next', { text: 'hi', topK: 0 }],
      ['predict.next', { text: 'hi', topK: 1.5 }],
      ['senses.lookup', { word: '' }],
      ['experiments.get', { id: -1 }],
      ['experiments.compare', { ids: [] }],
      ['tokens.encode', 'just a string'],
      ['tokens.encode', [1, 2]],
    ]
    for (const [m, req] of bad) {
      const res = await dispatch(m, req)
      expect(res, `${m} ${JSON.stringify(req)}`).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    }
  })

  it('tokens.encode returns ids and spans that tile the prompt', async () => {
    const { dispatch } = realDispatch()
    const res = await dispatch('tokens.encode', { text: 'The nurse said héllo' })
    expect(res.ok).toBe(true)
    if (!res.ok) return
    const { tokens } = res.value as { tokens: { id: number; text: string; start: number; end: number }[] }
    expect(tokens[1]).toMatchObject({ id: 15849, text: ' nurse', start: 3, end: 9 })
    expect(tokens[0].start).toBe(0)
    expect(tokens.at(-1)!.end).toBe('The nurse said héllo'.length)
    for (let i = 1; i < tokens.length; i++) expect(tokens[i].start).toBe(tokens[i - 1].end)
  })

  it('edits.validate accepts a document and rejects a bad one with edit-invalid', async () => {
    const { dispatch } = realDispatch()
    const doc = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0 }] }
    expect(await dispatch('edits.validate', { document: doc })).toMatchObject({ ok: true, value: { document: doc } })
    const wrong = { ...doc, edits: [{ kind: 'explode', token: 1 }] }
    expect(await dispatch('edits.validate', { document: wrong })).toMatchObject({ ok: false, error: { code: 'edit-invalid' } })
  })

  it('a fuzz of malformed requests yields typed errors only', async () => {
    const { dispatch } = realDispatch()
    let seed = 12345
    const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
    const atoms: unknown[] = [
      null,
      undefined,
      true,
      0,
      -1,
      1.5,
      1e308,
      NaN,
      '',
      'x'.repeat(300),
      [],
      {},
      [1, 'a'],
      { __proto__: { text: 'a' } },
    ]
    const fields = ['text', 'word', 'id', 'ids', 'topK', 'document', 'edits', 'position', 'target', 'token', 'runId', 'pairs', 'format']
    const value = (depth: number): unknown => {
      const r = rand()
      if (depth > 2 || r < 0.6) return atoms[Math.floor(rand() * atoms.length)]
      if (r < 0.8) return Array.from({ length: Math.floor(rand() * 3) }, () => value(depth + 1))
      const o: Record<string, unknown> = {}
      for (let i = 0; i < 1 + rand() * 3; i++) o[fields[Math.floor(rand() * fields.length)]] = value(depth + 1)
      return o
    }
    for (let i = 0; i < 600; i++) {
      const method = API_METHODS[i % API_METHODS.length]
      const res = await dispatch(method, value(0))
      if (!res.ok) {
        expect(isErrorInfo(res.error)).toBe(true)
        expect(res.error.code).not.toBe('internal')
      }
    }
  })
})
