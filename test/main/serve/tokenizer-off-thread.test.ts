import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { createDispatcher, type Dispatch } from '../../../src/main/workbench/create-dispatcher'
import { Gpt2Tokenizer, gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { promptIds } from '../../../src/main/tokenizer/prompt-ids'
import { encodePrompt } from '../../../src/main/tokenizer/encode-prompt'
import { Workbench } from '../../../src/main/workbench/workbench'
import type { PromptToken } from '../../../src/shared/ipc/api-types'

/**
 * The doors that answer many requests (serve, Electron IPC: both are the Workbench's handlers)
 * tokenize user text on the tokenizer worker: while a hostile string is tokenized, this thread
 * answers app.info and runs its timers, the main thread's tokenizer is never called, and the
 * answers are those of the synchronous tokenizer.
 */
const env = { ...process.env }
let dir: string
let workbench: Workbench
let dispatch: Dispatch

const HOSTILE = {
  word: 'a'.repeat(100_000),
  emoji: '😀'.repeat(50_000), // 100,000 UTF-16 units
  mixed: 'Ωмир中文😀ab\u0301c '.repeat(10_000).slice(0, 100_000),
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-tokenizer-thread-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(dir, 'cache'), BACKPACK_DATA_DIR: join(dir, 'data') })
  workbench = new Workbench({ transport: 'http', version: 'test' })
  dispatch = createDispatcher(workbench.handlers())
  await workbench.load(resolve('test/fixtures/checkpoints/tiny-fullvocab'))
}, 120_000)
afterAll(async () => {
  await workbench?.dispose()
  process.env = env
  rmSync(dir, { recursive: true, force: true })
})

/** Calls `method` and records, in order, when it settles, when a concurrent app.info settles and when a timer set after both fires. */
async function alongside(
  method: 'tokens.encode' | 'predict.next',
  params: unknown,
): Promise<{ order: string[]; result: Awaited<ReturnType<Dispatch>> }> {
  const order: string[] = []
  const pending = dispatch(method, params).then((r) => (order.push(method), r))
  const info = dispatch('app.info', {}).then((r) => (order.push('app.info'), r))
  const timer = new Promise<void>((res) => setTimeout(() => (order.push('timer'), res()), 0))
  const [result] = await Promise.all([pending, info, timer])
  expect((await info).ok).toBe(true)
  return { order, result }
}

describe('tokenization off the request thread', () => {
  it('tokens.encode and predict.next of 100,000-character hostile strings run on the worker and answer as the synchronous tokenizer', async () => {
    const spy = vi.spyOn(Gpt2Tokenizer.prototype, 'encode')
    const encoded: Record<string, PromptToken[]> = {}
    const refused: Record<string, unknown> = {}
    try {
      for (const [name, text] of Object.entries(HOSTILE)) {
        const enc = await alongside('tokens.encode', { text })
        // the handler answered after app.info and after a timer set once both had been sent (the
        // whole string is tokenized: far more than a timer tick of work, none of it on this thread)
        expect(enc.order, name).toEqual(['app.info', 'timer', 'tokens.encode'])
        expect(enc.result.ok, name).toBe(true)
        encoded[name] = (enc.result as { ok: true; value: { tokens: PromptToken[] } }).value.tokens
        const next = await alongside('predict.next', { text })
        // refused by the length bound inside the worker: app.info still answered first
        expect(next.order.indexOf('app.info'), name).toBeLessThan(next.order.indexOf('predict.next'))
        refused[name] = next.result.ok ? 'ok' : next.result.error.code
      }
      // under the vocabulary-derived bound (512 positions × 128 bytes): tokenized in full, then refused
      const under = await alongside('predict.next', { text: 'a'.repeat(60_000) })
      expect(under.order.indexOf('app.info')).toBeLessThan(under.order.indexOf('predict.next'))
      expect(under.result).toMatchObject({ ok: false, error: { code: 'too-long' } })
      expect(spy).not.toHaveBeenCalled() // nothing above tokenized on this thread
    } finally {
      spy.mockRestore()
    }
    const tok = gpt2Tokenizer()
    for (const [name, text] of Object.entries(HOSTILE)) {
      expect(encoded[name], name).toEqual(encodePrompt(tok, text))
      let code = 'ok'
      try {
        promptIds(text, 512)
      } catch (e) {
        code = (e as { code: string }).code
      }
      expect(refused[name], name).toBe(code)
      expect(code, name).toBe('too-long')
    }
  }, 120_000)

  it('a prompt the model takes gets the same tokens and ids on the worker as on this thread, and typed errors as before', async () => {
    const text = 'The nurse said that 😀 Ωμέγα'
    const res = (await dispatch('predict.next', { text, topK: 3 })) as {
      ok: true
      value: { tokens: PromptToken[]; logProbs: { id: number }[] }
    }
    expect(res.ok).toBe(true)
    expect(res.value.tokens).toEqual(encodePrompt(gpt2Tokenizer(), text))
    expect(res.value.logProbs.map((l) => l.id)).toEqual(promptIds(text, 512).slice(1)) // the log-prob of each token after the first
    expect(await dispatch('predict.next', { text: ' \n\t ' })).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    expect(await dispatch('predict.next', { text: 'a\ud800b' })).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    expect(await dispatch('generate.run', { text: HOSTILE.word, maxNewTokens: 1 })).toMatchObject({
      ok: false,
      error: { code: 'too-long' },
    })
    expect(await dispatch('tokens.encode', { text: '' })).toEqual({ ok: true, value: { tokens: [] } })
  }, 60_000)

  it('a tokenizer stopped with the workbench refuses what was in flight and starts again on the next request', async () => {
    const wb = new Workbench({ transport: 'http', version: 'test' })
    const d = createDispatcher(wb.handlers())
    const inFlight = d('tokens.encode', { text: HOSTILE.mixed })
    await wb.dispose()
    expect(await inFlight).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect(await d('tokens.encode', { text: ' nurse' })).toMatchObject({ ok: true, value: { tokens: [{ id: 15849, text: ' nurse' }] } })
    await wb.dispose()
  }, 60_000)

  it('edits.validate of a topic edit with 10,000 long words tokenizes them on the worker, as the synchronous parser would', async () => {
    const words = Array.from({ length: 10_000 }, (_, i) => ` ${'roughness'.repeat(22).slice(0, 190)}${i}`)
    const document = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'topic', words, strength: 1 }] }
    const spy = vi.spyOn(Gpt2Tokenizer.prototype, 'encode')
    const order: string[] = []
    let validated: Awaited<ReturnType<Dispatch>>
    try {
      const pending = dispatch('edits.validate', { document }).then((r) => (order.push('edits.validate'), r))
      const info = dispatch('app.info', {}).then((r) => (order.push('app.info'), r))
      ;[validated] = await Promise.all([pending, info])
      expect(spy).not.toHaveBeenCalled()
    } finally {
      spy.mockRestore()
    }
    expect(order).toEqual(['app.info', 'edits.validate'])
    expect(validated.ok).toBe(true)
    // the same document through the synchronous parser (the CLI's path)
    const { parseSenseEditsFor } = await import('../../../src/main/interventions/apply-sense-edits')
    const { openEngine } = await import('../../../src/main/runtime/open-engine')
    const engine = await openEngine({ checkpointDir: resolve('test/fixtures/checkpoints/tiny-fullvocab') })
    try {
      expect((validated as { ok: true; value: { document: unknown } }).value.document).toEqual(
        parseSenseEditsFor(engine, document).edits.document,
      )
    } finally {
      await engine.dispose()
    }
  }, 120_000)
})
