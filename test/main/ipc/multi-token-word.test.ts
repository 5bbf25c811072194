import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, type Dispatch } from '../../../src/main/workbench/create-dispatcher'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { Workbench } from '../../../src/main/workbench/workbench'

/**
 * Through the door the app uses (the dispatcher, with the real workbench on the full-vocabulary
 * tiny fixture): a multi-token word's lookup and neighbours carry its tokens and the policy used,
 * the policy can be chosen for both, and a multi-token reverse target is refused.
 */
const TINY = join(import.meta.dirname, '../../fixtures/checkpoints/tiny-fullvocab')
const WORD = 'zzqxvwj'
const ids = gpt2Tokenizer().encode(' ' + WORD)
const dir = mkdtempSync(join(tmpdir(), 'ipc-multi-token-'))
const KEYS = ['ELECTRON_RENDERER_URL', 'BACKPACK_DATA_DIR', 'BACKPACK_CACHE_DIR', 'BACKPACK_RESOURCES_DIR'] as const
const saved = Object.fromEntries(KEYS.map((k) => [k, process.env[k]]))
let workbench: Workbench
let dispatch: Dispatch

beforeAll(async () => {
  Object.assign(process.env, {
    BACKPACK_DATA_DIR: join(dir, 'data'),
    BACKPACK_CACHE_DIR: join(dir, 'cache'),
    BACKPACK_RESOURCES_DIR: join(dir, 'resources'),
  })
  workbench = new Workbench({ transport: 'electron', version: 'test' })
  dispatch = createDispatcher(workbench.handlers())
  expect(await dispatch('model.load', { checkpoint: TINY })).toMatchObject({ ok: true })
})
afterAll(async () => {
  await workbench?.dispose()
  for (const k of KEYS) {
    if (saved[k] === undefined) delete process.env[k]
    else process.env[k] = saved[k]
  }
  rmSync(dir, { recursive: true, force: true })
})

describe('a multi-token word over IPC', () => {
  it('senses.lookup and senses.neighbours say the tokens and the policy (first by default, or as asked)', async () => {
    expect(ids.length).toBeGreaterThan(1)
    const tokens = ids.map((id) => ({ id }))
    expect(await dispatch('senses.lookup', { word: WORD, topK: 1 })).toMatchObject({
      ok: true,
      value: { multiToken: true, policy: 'first', used: [ids[0]], tokens },
    })
    expect(await dispatch('senses.neighbours', { word: WORD, sense: 1, topK: 2 })).toMatchObject({
      ok: true,
      value: { multiToken: true, policy: 'first', used: [ids[0]], tokens },
    })
    expect(await dispatch('senses.neighbours', { word: WORD, sense: 1, topK: 2, policy: 'mean' })).toMatchObject({
      ok: true,
      value: { multiToken: true, policy: 'mean', used: ids },
    })
    expect(await dispatch('senses.neighbours', { word: ' nurse', topK: 2 })).toMatchObject({
      ok: true,
      value: { multiToken: false, policy: 'first', used: [15849] },
    })
  })

  it('refuses a bad policy and a multi-token reverse target with bad-request', async () => {
    expect(await dispatch('senses.neighbours', { word: WORD, policy: 'last' })).toMatchObject({ ok: false, error: { code: 'bad-request' } })
    expect(await dispatch('senses.reverse', { token: ' ' + WORD })).toMatchObject({ ok: false, error: { code: 'bad-request' } })
  })
})
