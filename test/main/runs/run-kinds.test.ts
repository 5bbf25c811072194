import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { RunningServer } from '../../../src/main/serve/serve-workbench'
import { appVersion } from '../../../src/main/paths/app-version'
import { handlerRunner } from '../../../src/main/runs/handler-runner'
import { startServe } from '../../../src/main/serve/start-serve'
import { reopenRun } from '../../../src/main/store/reopen-run'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import type { Workbench } from '../../../src/main/workbench/workbench'
import { cli } from '../../cli/cli-harness'

/**
 * Every saveable kind saved from the CLI (--save-new) and from serve's HTTP API into one real
 * SQLite log, then reopened (`experiment reopen`, the CLI's runner over the handler table):
 * reproduced on the same checkpoint and provider, sampled generation from its seed included.
 */
const TINY = resolve('test/fixtures/checkpoints/tiny-fullvocab')
/** the topic suite's sense table with score extremes is built in seconds on this one (minutes on TINY's full vocabulary) */
const SMALL = resolve('test/fixtures/checkpoints/small-bin')
const env = { ...process.env }
let dir: string
let db: string
let server: RunningServer
let served: Workbench
const EDITS = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', sense: 1, factor: 3 }] }

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bw-run-kinds-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(dir, 'cache'), BACKPACK_DATA_DIR: join(dir, 'data') })
  db = join(dir, 'data', 'experiments.sqlite')
  writeFileSync(join(dir, 'edits.json'), JSON.stringify(EDITS))
  const web = mkdtempSync(join(dir, 'web-'))
  writeFileSync(join(web, 'index.html'), '<!doctype html><title>t</title>')
  ;({ server, workbench: served } = await startServe({ webRoot: web, version: appVersion(), port: 0 }))
  await served.load(TINY)
}, 120_000)
afterAll(async () => {
  await server?.close()
  await served?.dispose()
  process.env = env
  rmSync(dir, { recursive: true, force: true })
})

const http = async (method: string, body: unknown) => {
  const res = await fetch(`http://127.0.0.1:${server.port}/api/${method}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${server.token}` },
    body: JSON.stringify(body),
  })
  return (await res.json()) as {
    ok: boolean
    value: { experiment: { id: number; editCount: number }; run: { id: number; kind: string } }
    error?: { code: string; message: string }
  }
}
const reopen = async (runId: number, checkpoint = TINY) => {
  const r = await cli(['experiment', 'reopen', String(runId), '--db', db, '--checkpoint', checkpoint])
  expect(r.code, r.stderr).toBe(0)
  return r.json() as { reproduced: boolean; kind: string; differences: string[]; outputs: { mismatches: string[] } }
}
/** reopens a run in serve's workbench (its runner over the handler table), as serve's compare does */
const reopenInServe = async (runId: number) => {
  const s = await ExperimentStore.open(db)
  try {
    const r = await reopenRun(s, runId, handlerRunner(served.handlers(), await served.origin()))
    return { reproduced: r.reproduced, kind: r.run.kind, differences: r.differences, outputs: r.outputs }
  } finally {
    await s.close()
  }
}
const getRun = async (id: number) => {
  const s = await ExperimentStore.open(db)
  try {
    return await s.getRun(id)
  } finally {
    await s.close()
  }
}

const EDIT_FILE = () => join(dir, 'edits.json')
/** per kind: the CLI command, the same call's method and request for serve, and what the stored run must hold */
const KINDS: {
  name: string
  cliReopen?: boolean
  checkpoint?: string
  args: () => string[]
  method: string
  request: Record<string, unknown>
  check: (run: Awaited<ReturnType<typeof getRun>>) => void
}[] = [
  {
    name: 'attribute',
    args: () => ['attribute', '--text', 'The nurse said', '--position', '2', '--target', ' that', '--edits', EDIT_FILE()],
    method: 'predict.attribute',
    request: { text: 'The nurse said', position: 2, target: 326, edits: EDITS }, // ' that', as the CLI resolves --target
    check: (run) => {
      expect(run.kind).toBe('attribute')
      expect(run.blobs.contributions.shape).toEqual([3, 4]) // (position, sense)
      const sum = [...run.blobs.contributions.data].reduce((a, b) => a + b, 0)
      expect(Math.abs(sum - run.metrics.logit)).toBeLessThanOrEqual(1e-3)
    },
  },
  {
    name: 'generate (greedy, edited pair)',
    args: () => ['generate', '--text', 'The nurse said', '--max-new', '4', '--edits', EDIT_FILE()],
    method: 'generate.run',
    request: { text: 'The nurse said', maxNewTokens: 4, attribute: false, edits: EDITS }, // as the CLI without --attribute
    check: (run) => {
      expect(run.settings).toMatchObject({ strategy: 'greedy', maxNewTokens: 4 })
      expect(run.metrics).toMatchObject({ baselineTokens: 4, editedTokens: 4 })
      expect(run.blobs.baselineLogProbs.shape).toEqual([4])
      expect(run.outputs).toMatchObject({ baseline: { edited: false }, edited: { edited: true } })
    },
  },
  {
    name: 'generate (sampled, seeded)',
    cliReopen: true,
    args: () => [
      'generate',
      '--text',
      'The nurse said',
      '--max-new',
      '5',
      '--temperature',
      '1.5',
      '--top-k',
      '50',
      '--top-p',
      '0.95',
      '--seed',
      '7',
    ],
    method: 'generate.run',
    request: {
      text: 'The nurse said',
      maxNewTokens: 5,
      strategy: 'sample',
      temperature: 1.5,
      topK: 50,
      topP: 0.95,
      seed: 7,
      attribute: false,
    },
    check: (run) =>
      expect(run.settings).toMatchObject({ strategy: 'sample', temperature: 1.5, topK: 50, topP: 0.95, seed: 7, maxNewTokens: 5 }),
  },
  {
    name: 'suite gender-bias',
    args: () => ['suite', 'gender-bias', '--professions', 'nurse', '--sense', '1', '--skip-optimize', '--edits', EDIT_FILE()],
    method: 'suites.genderBias',
    request: { professions: ['nurse'], sense: 1, optimize: false, edits: EDITS },
    check: (run) => {
      expect(run.inputs).toEqual({ suite: 'gender-bias' })
      expect(run.settings).toMatchObject({ professions: ['nurse'], sense: 1, optimize: false })
      expect(run.metrics.unmodifiedMeanBias).toEqual(expect.any(Number))
      expect(run.blobs.unmodified.shape).toEqual([1])
    },
  },
  {
    name: 'suite knowledge-edit',
    args: () => ['suite', 'knowledge-edit', '--max-heldout-tokens', '64', '--edits', EDIT_FILE()],
    method: 'suites.knowledgeEdit',
    request: { maxHeldoutTokens: 64, edits: EDITS },
    check: (run) => {
      expect(run.inputs).toEqual({ suite: 'knowledge-edit' })
      expect(run.settings).toEqual({ maxHeldoutTokens: 64 })
      expect(run.metrics['MacBook→HP.logOddsChange']).toEqual(expect.any(Number))
      expect(run.blobs.logOddsChange.shape).toEqual([2]) // (case)
    },
  },
  {
    name: 'suite topic',
    checkpoint: SMALL, // CLI only: serve holds TINY
    args: () => ['suite', 'topic', '--words', 'the,and', '--strengths', '0,1', '--samples', '1', '--max-new', '3', '--prompt-ids', '0'],
    method: 'suites.topic',
    request: { words: ['the', 'and'], strengths: [0, 1], samples: 1, maxNewTokens: 3, promptIds: [0] },
    check: (run) => {
      expect(run.inputs).toEqual({ suite: 'topic' })
      expect(run.settings).toMatchObject({ words: ['the', 'and'], strengths: [0, 1], samples: 1, maxNewTokens: 3, seed: 0 })
      expect(run.blobs.bagMass.shape).toEqual([1, 2]) // (topic, strength)
      expect(run.metrics['strength1.bagMass']).toEqual(expect.any(Number))
    },
  },
  {
    name: 'senses atlas',
    args: () => ['senses', '--word', 'nurse', '--top', '3'],
    method: 'senses.lookup',
    request: { word: 'nurse', topK: 3 },
    check: (run) =>
      expect(run).toMatchObject({ kind: 'senses', inputs: { lookup: 'atlas', word: 'nurse' }, settings: { topK: 3, ties: 'collapse' } }),
  },
  {
    name: 'neighbours',
    args: () => ['neighbours', '--word', 'nurse', '--sense', '2', '--top', '4'],
    method: 'senses.neighbours',
    request: { word: 'nurse', sense: 2, topK: 4 },
    check: (run) =>
      expect(run).toMatchObject({
        kind: 'senses',
        inputs: { lookup: 'neighbours', word: 'nurse' },
        settings: { sense: 2, topK: 4 },
        metrics: { topScore: expect.any(Number) },
      }),
  },
  {
    name: 'reverse',
    args: () => ['reverse', '--token', ' she', '--top', '5'],
    method: 'senses.reverse',
    request: { token: 673, topK: 5 },
    check: (run) =>
      expect(run).toMatchObject({ kind: 'senses', inputs: { lookup: 'reverse', token: 673 }, settings: { direction: 'boost', topK: 5 } }),
  },
]

describe('every saveable kind, from the CLI and from serve', () => {
  for (const k of KINDS) {
    it(`${k.name}: saved by both doors alike, and reopened reproduced`, async () => {
      const c = await cli([...k.args(), '--save-new', `cli ${k.name}`, '--db', db, '--checkpoint', k.checkpoint ?? TINY])
      expect(c.code, c.stderr).toBe(0)
      const { saved } = c.json()
      const fromCli = await getRun(saved.runId)
      k.check(fromCli)
      if (k.checkpoint) {
        expect(await reopen(fromCli.id, k.checkpoint)).toMatchObject({ reproduced: true, kind: fromCli.kind, differences: [] })
        return
      }
      const s = await http('experiments.saveRun', { method: k.method, request: k.request, name: `serve ${k.name}` })
      expect(s.ok, s.error?.message).toBe(true)
      const fromServe = await getRun(s.value.run.id)
      k.check(fromServe)
      expect({ outputs: fromServe.outputs, metrics: fromServe.metrics, blobs: fromServe.blobs, settings: fromServe.settings }).toEqual({
        outputs: fromCli.outputs,
        metrics: fromCli.metrics,
        blobs: fromCli.blobs,
        settings: fromCli.settings,
      })
      // the CLI's run reopened by serve, serve's by the CLI (two kinds: each CLI reopen opens the model)
      const r = await reopenInServe(fromCli.id)
      expect(r.outputs.mismatches).toEqual([])
      expect(r).toMatchObject({ reproduced: true, kind: fromCli.kind, differences: [] })
      if (k.cliReopen) expect(await reopen(fromServe.id)).toMatchObject({ reproduced: true, kind: fromServe.kind, differences: [] })
    }, 240_000)
  }

  it('a sampled generation saved from serve without a seed is stored with the seed it used, and reopens reproduced', async () => {
    const s = await http('experiments.saveRun', {
      method: 'generate.run',
      request: { text: 'The nurse', maxNewTokens: 4, strategy: 'sample' },
      name: 'unseeded',
    })
    expect(s.ok, s.error?.message).toBe(true)
    const run = await getRun(s.value.run.id)
    expect(run.settings).toEqual({ strategy: 'sample', maxNewTokens: 4, temperature: 1, seed: 0 })
    expect((await reopenInServe(run.id)).reproduced).toBe(true)
  }, 120_000)
})
