import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { createDispatcher, type Dispatch } from '../../src/main/workbench/create-dispatcher'
import { Workbench } from '../../src/main/workbench/workbench'
import type { Result } from '../../src/shared/errors'
import { finetuneCases, type FinetuneCase } from './finetune-cases'
import { sampleCases } from './sample-cases'

/**
 * Hostile input to sense fine-tuning, through the real service (the tiny full-vocabulary
 * fixture, engine in its worker): malformed or empty examples, suffixes that tokenize to nothing,
 * prefixes longer than the positions, ε ≤ 0, non-finite learning rates — each must be its typed
 * error in bounded time with the service still answering; and cancellation mid-epoch, through
 * `run.cancel` and through Ctrl-C of the CLI, must stop cleanly with no edit file. Prints the
 * per-category table (cases, typed, crashes, hangs, wrongly accepted, other answers).
 */
const TINY = resolve('test/fixtures/checkpoints/tiny-fullvocab')
const PER_CATEGORY = 4 // in npm test; BACKPACK_HOSTILE=all runs every case
const HANG_MS = 60_000
type Verdict = 'typed' | 'crash' | 'hang' | 'wrongly accepted' | 'other answer'
const table = new Map<string, Record<Verdict | 'tried', number>>()
const env = { ...process.env }
let dir: string
let workbench: Workbench
let dispatch: Dispatch

function record(category: string, verdict: Verdict): void {
  const row = table.get(category) ?? { tried: 0, typed: 0, crash: 0, hang: 0, 'wrongly accepted': 0, 'other answer': 0 }
  row.tried++
  row[verdict]++
  table.set(category, row)
}

async function answer(method: string, request: unknown): Promise<Result<unknown> | 'hang' | 'crash'> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<'hang'>((res) => (timer = setTimeout(() => res('hang'), HANG_MS)))
  try {
    return await Promise.race([dispatch(method, request), hang])
  } catch {
    return 'crash' // the dispatcher turns every error into a result; a throw is a defect
  } finally {
    clearTimeout(timer)
  }
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-hostile-finetune-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(dir, 'cache'), BACKPACK_DATA_DIR: join(dir, 'data') })
  workbench = new Workbench({ transport: 'http', version: 'test' })
  dispatch = createDispatcher(workbench.handlers())
  await workbench.load(TINY)
}, 300_000)

afterAll(async () => {
  await workbench?.dispose()
  process.env = env
  const rows = [...table].map(
    ([category, r]) =>
      `${category.padEnd(16)} ${[r.tried, r.typed, r.crash, r.hang, r['wrongly accepted'], r['other answer']].map((n) => String(n).padStart(6)).join('')}`,
  )
  process.stdout.write(`\nhostile finetune: category, tried, typed, crash, hang, wrongly accepted, other\n${rows.join('\n')}\n`)
  rmSync(dir, { recursive: true, force: true })
})

describe('hostile fine-tuning input', () => {
  const byCategory = new Map<string, FinetuneCase[]>()
  for (const c of finetuneCases()) byCategory.set(c.category, [...(byCategory.get(c.category) ?? []), c])
  for (const [category, cases] of byCategory) {
    it(`${category}: every case is its typed error and the service still answers`, async () => {
      const wrong: string[] = []
      for (const c of sampleCases(cases, PER_CATEGORY)) {
        const a = await answer('finetune.run', c.request)
        const verdict: Verdict =
          a === 'hang' || a === 'crash' ? a : a.ok ? 'wrongly accepted' : a.error.code === c.code ? 'typed' : 'other answer'
        record(category, verdict)
        if (verdict !== 'typed')
          wrong.push(`${c.name}: ${verdict}${typeof a === 'object' && !a.ok ? ` (${a.error.code}: ${a.error.message})` : ''}`)
      }
      expect(wrong).toEqual([])
      expect(await answer('predict.next', { text: 'The nurse said', topK: 1 })).toMatchObject({ ok: true })
    }, 600_000)
  }

  it('run.cancel mid-epoch stops with cancelled and no edit document; the next run works', async () => {
    const epochs: number[] = []
    const firstEpoch = new Promise<void>((res) =>
      workbench.events.subscribe((e) => {
        if (e.name === 'finetune.progressed' && e.payload.runId === 'ft-cancel') {
          epochs.push(e.payload.figures.epoch)
          res()
        }
      }),
    )
    const examples = [
      '{"prefix": "the capital and largest city of", "suffix": " France"}',
      '{"prefix": "a member of the genus", "suffix": " Canis"}',
    ].join('\n')
    const pending = answer('finetune.run', {
      examples,
      epochs: 500,
      batchSize: 1,
      background: 'the capital of France. a member of the genus Canis. '.repeat(20),
      runId: 'ft-cancel',
    })
    await firstEpoch
    expect(await dispatch('run.cancel', { runId: 'ft-cancel' })).toEqual({ ok: true, value: { cancelled: true } })
    const a = await pending
    record(
      'cancellation',
      typeof a === 'object' && !a.ok && a.error.code === 'cancelled'
        ? 'typed'
        : typeof a === 'string'
          ? a
          : a.ok
            ? 'wrongly accepted'
            : 'other answer',
    )
    expect(a).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect(epochs.length).toBeLessThan(500)
    const again = await answer('finetune.run', { examples, epochs: 1, background: 'the capital of France. a member of the genus Canis.' })
    expect(again).toMatchObject({ ok: true, value: { epochKept: 1 } })
  }, 600_000)

  it('Ctrl-C of the CLI mid-epoch exits with cancelled and leaves no edit file (nor a temp file)', async () => {
    const work = mkdtempSync(join(dir, 'cli-'))
    const examples = join(work, 'ex.jsonl')
    const background = join(work, 'bg.txt')
    const out = join(work, 'edits.json')
    writeFileSync(
      examples,
      '{"prefix": "the capital and largest city of", "suffix": " France"}\n{"prefix": "a member of the genus", "suffix": " Canis"}\n',
    )
    writeFileSync(background, 'the capital of France. a member of the genus Canis. '.repeat(20))
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        'src/cli/index.ts',
        'finetune',
        '--checkpoint',
        TINY,
        '--examples',
        examples,
        '--background',
        background,
        '--out',
        out,
        '--epochs',
        '2000',
        '--batch-size',
        '1',
      ],
      {
        env: { ...process.env },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    let stderr = ''
    const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)))
    await new Promise<void>((res) =>
      child.stderr.on('data', (d) => {
        stderr += String(d)
        if (/epoch 1\//.test(stderr)) res()
      }),
    )
    child.kill('SIGINT')
    const code = await exited
    const verdict: Verdict = code !== 0 && /error\[cancelled\]/.test(stderr) ? 'typed' : code === 0 ? 'wrongly accepted' : 'other answer'
    record('cancellation', verdict)
    expect(code).not.toBe(0)
    expect(stderr).toMatch(/error\[cancelled\]/)
    expect(existsSync(out)).toBe(false)
    expect(readdirSync(work).sort()).toEqual(['bg.txt', 'ex.jsonl'])
  }, 600_000)
})
