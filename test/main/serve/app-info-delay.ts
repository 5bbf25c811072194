/**
 * Measures how long a concurrent `app.info` waits while `cli serve` (a real process, on the tiny
 * full-vocabulary fixture) runs one heavy request: a topic suite, a gender-bias suite, a sampled
 * generation, a 512-token prediction and tokenizing a 100,000-character word. Not a test (no
 * timing is asserted anywhere): a measurement to run by hand, `npx tsx test/main/serve/app-info-delay.ts [runs] [method,method]`.
 * Prints, per request, the worst and median app.info round trip over each run, as JSON lines.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { startServeProcess } from '../../e2e/helpers/serve-process'
import { rawRequest, resultCode } from './raw-http'

const SCENARIOS: [string, string, unknown][] = [
  ['topic suite', 'suites.topic', { topics: ['family'], samples: 1, maxNewTokens: 96 }],
  ['gender-bias suite', 'suites.genderBias', {}],
  ['generate (sample, 256 tokens)', 'generate.run', { text: 'The nurse said that', strategy: 'sample', maxNewTokens: 256, seed: 1 }],
  ['predict.next (512 tokens)', 'predict.next', { text: ' the'.repeat(512) }],
  ['tokens.encode (100,000 a)', 'tokens.encode', { text: 'a'.repeat(100_000) }],
  ['predict.next (60,000 a)', 'predict.next', { text: 'a'.repeat(60_000) }],
]

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function main(): Promise<void> {
  const runs = Number(process.argv[2] ?? 3)
  const dir = mkdtempSync(join(tmpdir(), 'bw-app-info-delay-'))
  writeFileSync(join(dir, 'index.html'), '<!doctype html><title>t</title>')
  const serve = await startServeProcess(
    ['--port', '0', '--web', dir, '--checkpoint', resolve('test/fixtures/checkpoints/tiny-fullvocab')],
    { BACKPACK_CACHE_DIR: join(dir, 'cache'), BACKPACK_DATA_DIR: join(dir, 'data') },
  )
  const token = new URL(serve.url).searchParams.get('token')!
  const call = (method: string, body: unknown) =>
    rawRequest(serve.port, {
      method: 'POST',
      path: `/api/${method}`,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: 600_000,
    })
  try {
    for (;;) {
      const info = await call('model.info', {})
      if (resultCode(info) === 'ok' && (info.body as { value: unknown }).value) break
      await new Promise((r) => setTimeout(r, 200))
    }
    const only = process.argv[3]?.split(',')
    for (const [name, method, params] of SCENARIOS.filter(([, m]) => !only || only.includes(m))) {
      await call(method, params) // warm: sense tables, sessions, caches
      const worst: number[] = []
      for (let run = 0; run < runs; run++) {
        let done = false
        const t0 = performance.now()
        const heavy = call(method, params).then((a) => ((done = true), a))
        const delays: number[] = []
        while (!done) {
          const s = performance.now()
          await call('app.info', {})
          delays.push(performance.now() - s)
          await new Promise((r) => setTimeout(r, 10))
        }
        const answer = await heavy
        worst.push(Math.max(...delays))
        console.log(
          JSON.stringify({
            request: name,
            run,
            code: resultCode(answer),
            requestMs: Math.round(performance.now() - t0),
            probes: delays.length,
            worstMs: Math.round(Math.max(...delays)),
            medianProbeMs: Math.round(median(delays)),
          }),
        )
      }
      console.log(JSON.stringify({ request: name, medianOfWorstMs: Math.round(median(worst)) }))
    }
  } finally {
    await serve.stop()
    rmSync(dir, { recursive: true, force: true })
  }
}

void main()
