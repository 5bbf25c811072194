import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startServeProcess, type ServeProcess } from '../../e2e/helpers/serve-process'
import { rawRequest, resultCode, type RawAnswer } from './raw-http'

/**
 * `cli serve` as a real process on the tiny full-vocabulary fixture: a hostile prompt is refused
 * without holding up anyone else, and SIGTERM ends the server while it is busy.
 */
const TINY = resolve('test/fixtures/checkpoints/tiny-fullvocab')
let dir: string
let serve: ServeProcess
let token: string

const call = (method: string, body: unknown): Promise<RawAnswer> =>
  rawRequest(serve.port, {
    method: 'POST',
    path: `/api/${method}`,
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
    timeoutMs: 120_000,
  })

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-serve-process-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
  serve = await startServeProcess(['--port', '0', '--web', dir, '--checkpoint', TINY], {
    BACKPACK_CACHE_DIR: join(dir, 'cache'),
    BACKPACK_DATA_DIR: join(dir, 'data'),
  })
  token = new URL(serve.url).searchParams.get('token')!
  for (;;) {
    const info = await call('model.info', {})
    if (resultCode(info) === 'ok' && (info.body as { value: unknown }).value) break
    await new Promise((r) => setTimeout(r, 200))
  }
}, 120_000)
afterAll(async () => {
  await serve?.stop()
  rmSync(dir, { recursive: true, force: true })
})

describe('serve (real process) under hostile prompts', () => {
  it('refuses a 100,000-character word as too-long in every prompt method', async () => {
    const word = 'a'.repeat(100_000)
    expect(resultCode(await call('predict.next', { text: word }))).toBe('too-long')
    expect(resultCode(await call('predict.attribute', { text: word, position: 0, target: 0 }))).toBe('too-long')
    expect(resultCode(await call('generate.run', { text: word, maxNewTokens: 1 }))).toBe('too-long')
    expect(resultCode(await call('predict.next', { text: '😀'.repeat(50_000) }))).toBe('too-long')
    expect(resultCode(await call('predict.next', { text: ' \n\t ' }))).toBe('bad-request')
    expect(resultCode(await call('predict.next', { text: 'a\ud800b' }))).toBe('bad-request')
  })

  it('answers app.info while the heaviest accepted predict.next is in flight, and the long word beside them', async () => {
    let heavyDone = false
    const heavy = call('predict.next', { text: ' the'.repeat(512) }).then((a) => {
      heavyDone = true
      return a
    })
    const long = call('predict.next', { text: 'a'.repeat(100_000) })
    const info = await call('app.info', {})
    expect(resultCode(info)).toBe('ok')
    expect(heavyDone).toBe(false) // answered while the 512-token prediction was still running
    expect(resultCode(await long)).toBe('too-long')
    expect(resultCode(await heavy)).toBe('ok')
  }, 120_000)

  it('ends promptly on SIGTERM while a long suite runs (exit 0, not killed)', async () => {
    const busy = call('suites.topic', { samples: 10_000, maxNewTokens: 512 })
    await new Promise((r) => setTimeout(r, 500)) // let the suite start
    const exited = new Promise<{ code: number | null; signal: string | null }>((r) =>
      serve.child.once('exit', (code, signal) => r({ code, signal })),
    )
    serve.child.kill('SIGTERM')
    expect(await exited).toEqual({ code: 0, signal: null })
    expect((await busy).status).not.toBe(200) // the in-flight request was dropped, not left hanging
  }, 60_000)
})
