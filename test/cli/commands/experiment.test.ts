import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { cli as runInProcess } from '../cli-harness'

/**
 * The experiment CLI end to end on real SQLite files and the real engine (tiny fixture
 * checkpoint, converted once into a temporary BACKPACK_CACHE_DIR).
 */
const FIXTURE = resolve(import.meta.dirname, '../../fixtures/checkpoints/tiny-fullvocab')
let dir: string
let db: string
let savedCache: string | undefined

const cli = (...argv: string[]) => runInProcess(argv)

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'exp-cli-'))
  db = join(dir, 'a.sqlite')
  savedCache = process.env.BACKPACK_CACHE_DIR
  process.env.BACKPACK_CACHE_DIR = join(dir, 'cache')
  const edits = (factor: number) =>
    JSON.stringify({
      format: 'backpack-sense-edits',
      version: 1,
      edits: [
        { kind: 'scale-sense', token: ' nurse', sense: 3, factor },
        { kind: 'scale-sense', token: ' doctor', factor: 0.5 },
      ],
    })
  writeFileSync(join(dir, 'a.json'), edits(0))
  writeFileSync(join(dir, 'b.json'), edits(2))
  writeFileSync(
    join(dir, 'bad.json'),
    JSON.stringify({ format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', factor: 'zero' }] }),
  )
})
afterAll(() => {
  if (savedCache === undefined) delete process.env.BACKPACK_CACHE_DIR
  else process.env.BACKPACK_CACHE_DIR = savedCache
  rmSync(dir, { recursive: true, force: true })
})

describe('cli experiment', () => {
  it('save → list → fork → run → reopen → compare (4 formats) → export → import → the same tables', async () => {
    const a = await cli(
      'experiment',
      'save',
      '--db',
      db,
      '--name',
      'Nurse sense 3 off',
      '--edits',
      join(dir, 'a.json'),
      '--tag',
      'bias',
      '--tag',
      'tiny',
      '--notes',
      'ablation of the pronoun sense',
    )
    expect(a.code).toBe(0)
    expect(Object.keys(a.json())).toEqual(['id'])
    const idA = a.json().id as number
    const idB = (
      await cli('experiment', 'save', '--db', db, '--name', 'Nurse sense 3 x2', '--edits', join(dir, 'b.json'), '--tag', 'tiny')
    ).json().id as number

    expect((await cli('experiment', 'list', '--db', db, '--tag', 'bias')).json().items.map((e: { id: number }) => e.id)).toEqual([idA])
    expect((await cli('experiment', 'list', '--db', db, '--search', 'pronoun')).json().items.map((e: { id: number }) => e.id)).toEqual([
      idA,
    ])
    expect((await cli('experiment', 'list', '--db', db, '--tag', 'tiny')).json().total).toBe(2)

    const fork = (await cli('experiment', 'fork', '--db', db, String(idA))).json()
    expect(fork.parentId).toBe(idA)
    const idC = fork.id as number

    const runA = await cli(
      'experiment',
      'run',
      '--db',
      db,
      String(idA),
      '--text',
      'The nurse said that',
      '--checkpoint',
      FIXTURE,
      '--top',
      '5',
    )
    expect(runA.stderr).toBe('')
    expect(runA.code).toBe(0)
    const ra = runA.json()
    expect(ra).toMatchObject({
      experimentId: idA,
      kind: 'predict',
      executionProvider: expect.any(String),
      runtimeVersion: expect.stringMatching(/^onnxruntime-node \d/),
      checkpoint: expect.stringMatching(/^[0-9a-f]{64}$/),
    })
    expect(ra.outputs.topk).toHaveLength(5)
    const probs = ra.outputs.topk.map((t: { prob: number }) => t.prob)
    expect(probs.every((p: number, i: number) => p > 0 && p <= 1 && (i === 0 || p <= probs[i - 1]))).toBe(true)
    expect(ra.blobs.logProbs).toEqual({ dtype: 'float32', shape: [ra.inputs.ids.length - 1] })
    expect(
      (await cli('experiment', 'run', '--db', db, String(idB), '--text', 'The nurse said that', '--checkpoint', FIXTURE, '--top', '5'))
        .code,
    ).toBe(0)

    // reopening re-runs with the stored edits and checks the outputs (atol 1e-5)
    const reopened = (await cli('experiment', 'reopen', '--db', db, String(ra.id), '--checkpoint', FIXTURE)).json()
    expect(reopened).toMatchObject({ runId: ra.id, reproduced: true })
    expect(reopened.blobs.maxAbsDiff).toBeLessThanOrEqual(1e-5)

    // the fork has no run: missing without --rerun, filled by the model with it
    const before = (await cli('experiment', 'compare', '--db', db, String(idA), String(idB), String(idC))).json()
    expect(before.missing.map((m: { experimentId: number }) => m.experimentId)).toEqual([idC])
    const filled = (
      await cli(
        'experiment',
        'compare',
        '--db',
        db,
        String(idA),
        String(idB),
        String(idC),
        '--rerun',
        '--checkpoint',
        FIXTURE,
        '--top',
        '5',
      )
    ).json()
    expect(filled.missing).toEqual([])
    expect(filled.outputs[0].cells[2].fresh).toBe(true)
    // A and its fork have the same edits, so the same model outputs (same engine, same inputs)
    expect(filled.outputs[0].cells[2].summary).toBe(filled.outputs[0].cells[0].summary)
    // A (sense 3 off) and B (sense 3 doubled) differ in their edits, so in their outputs
    expect(filled.metrics.find((m: { metric: string }) => m.metric === 'meanLogProb').values[0]).not.toBe(
      filled.metrics.find((m: { metric: string }) => m.metric === 'meanLogProb').values[1],
    )
    expect(filled.edits.find((r: { key: string }) => r.key.includes('sense=3')).changedFields).toEqual(['factor'])
    const diffOnly = (await cli('experiment', 'compare', '--db', db, String(idA), String(idC), '--diff-only')).json()
    expect(diffOnly.edits).toEqual([])

    const tables: Record<string, string> = {}
    for (const format of ['csv', 'md', 'latex']) {
      const r = await cli('experiment', 'compare', '--db', db, String(idA), String(idB), String(idC), '--format', format)
      expect(r.code).toBe(0)
      tables[format] = r.stdout
    }
    expect(tables.csv.split('\r\n')[0]).toBe('section,item,detail,Nurse sense 3 off,Nurse sense 3 x2,Nurse sense 3 off (fork)')
    expect(tables.md).toContain('### Metrics')
    expect(tables.latex).toContain('\\begin{tabular}')

    const bundle = join(dir, 'bundle.json')
    const exported = (await cli('experiment', 'export', '--db', db, String(idA), String(idB), String(idC), '--out', bundle)).json()
    expect(exported).toMatchObject({ experiments: 3, runs: 3 })
    const fresh = join(dir, 'fresh.sqlite')
    const imported = await cli('experiment', 'import', '--db', fresh, bundle)
    expect(imported.code).toBe(0)
    expect(imported.stderr).toMatch(/warning: checkpoint .* is not known/)
    const newIds = imported.json().experiments.map((e: { id: number }) => String(e.id))
    for (const format of ['csv', 'md', 'latex']) {
      expect((await cli('experiment', 'compare', '--db', fresh, ...newIds, '--format', format)).stdout, format).toBe(tables[format])
    }
    const show = (await cli('experiment', 'show', '--db', fresh, newIds[0])).json()
    expect(show.runs[0].outputs.topk).toEqual(ra.outputs.topk)
  }, 180_000)

  it('save without --edits keeps a baseline experiment (no edits) to compare edited ones against', async () => {
    const id = (await cli('experiment', 'save', '--db', db, '--name', 'baseline')).json().id as number
    expect((await cli('experiment', 'show', '--db', db, String(id))).json().edits).toEqual({
      format: 'backpack-sense-edits',
      version: 1,
      edits: [],
    })
    const edited = (await cli('experiment', 'save', '--db', db, '--name', 'edited', '--edits', join(dir, 'a.json'))).json().id as number
    const compared = await cli('experiment', 'compare', '--db', db, String(id), String(edited), '--format', 'md')
    expect(compared.code).toBe(0)
    expect(compared.stdout).toContain('baseline')
  })

  it('delete is undoable; errors are typed, exit non-zero, and change nothing', async () => {
    const id = (await cli('experiment', 'save', '--db', db, '--name', 'to delete', '--edits', join(dir, 'a.json'))).json().id
    // --to with a bare date includes that whole day (UTC); --from starts at its midnight
    const day = new Date((await cli('experiment', 'show', '--db', db, String(id))).json().createdAt).toISOString().slice(0, 10)
    const dayBefore = new Date(Date.parse(day) - 86_400_000).toISOString().slice(0, 10)
    const listed = async (...flags: string[]) =>
      (await cli('experiment', 'list', '--db', db, '--name', 'to delete', ...flags)).json().items.map((e: { id: number }) => e.id)
    expect(await listed('--from', day, '--to', day)).toEqual([id])
    expect(await listed('--to', dayBefore)).toEqual([])
    expect(await listed('--to', `${day}T00:00:00Z`)).toEqual([]) // an exact time stays exclusive

    const del = (await cli('experiment', 'delete', '--db', db, String(id))).json()
    expect(del).toMatchObject({ id, restorableUntil: expect.any(String) })
    expect((await cli('experiment', 'show', '--db', db, String(id))).json().deletedAt).not.toBeNull()
    expect((await cli('experiment', 'restore', '--db', db, String(id))).json()).toEqual({ id, restored: true })
    expect((await cli('experiment', 'delete', '--db', db, String(id), '--purge')).json()).toEqual({ id, purged: true })
    expect((await cli('experiment', 'show', '--db', db, String(id))).stderr).toMatch(/^error\[not-found\]/)

    const bad = await cli('experiment', 'save', '--db', db, '--name', 'x', '--edits', join(dir, 'bad.json'))
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^error\[edit-invalid\]/)
    expect(bad.stdout).toBe('')
    expect((await cli('experiment', 'compare', '--db', db, '1', '--format', 'xml')).code).toBe(2)
    expect((await cli('experiment', 'bogus')).stderr).toMatch(/^error\[bad-request\]/)

    const notDb = join(dir, 'notes.txt')
    writeFileSync(notDb, 'my notes\n'.repeat(50))
    const corrupt = await cli('experiment', 'list', '--db', notDb)
    expect(corrupt.stderr).toMatch(/^error\[store-corrupt\]/)
    expect(readFileSync(notDb, 'utf8')).toBe('my notes\n'.repeat(50))

    // a bundle that cannot be written leaves neither --out nor a partial temporary file behind
    const outDir = join(dir, 'taken')
    mkdirSync(outDir)
    const keep = (await cli('experiment', 'save', '--db', db, '--name', 'to export', '--edits', join(dir, 'a.json'))).json().id
    const failed = await cli('experiment', 'export', '--db', db, String(keep), '--out', outDir)
    expect(failed.code).toBe(1)
    expect(failed.stderr).toMatch(/^error\[store-io\]: cannot write the bundle to /)
    expect(readdirSync(dir).filter((f) => f.startsWith('taken'))).toEqual(['taken'])

    const junk = join(dir, 'junk.json')
    writeFileSync(junk, '{"format": "backpack-experiment-bundle", "version": 1}')
    const total = (await cli('experiment', 'list', '--db', db)).json().total
    expect((await cli('experiment', 'import', '--db', db, junk)).stderr).toMatch(/^error\[bundle-invalid\]/)
    expect((await cli('experiment', 'list', '--db', db)).json().total).toBe(total)
  })

  it('<sub> --help names the subcommand in the usage line, with that subcommand\'s flags (it said "experiment")', async () => {
    const list = await cli('experiment', 'list', '--help')
    expect(list.code, list.stderr).toBe(0)
    expect(list.stdout).toMatch(/^usage: npm run -s cli -- experiment list \[options\]\n/)
    expect(list.stdout).toContain('--sort <value>')
    const compare = await cli('experiment', 'compare', '-h')
    expect(compare.stdout).toMatch(/^usage: npm run -s cli -- experiment compare \[options\]\n/)
    expect(compare.stdout).toContain('--diff-only')
  })

  it('--help with no subcommand prints the subcommands, a line each, and exits 0 (it exited 2: "needs a subcommand (got "--help")")', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await cli('experiment', flag)
      expect(r.code, r.stderr).toBe(0)
      expect(r.stderr).toBe('')
      expect(r.stdout).toMatch(/^usage: npm run -s cli -- experiment <subcommand> \[options\]\n/)
      for (const sub of ['save', 'list', 'show', 'fork', 'run', 'reopen', 'compare', 'export', 'import', 'delete', 'restore']) {
        expect(r.stdout, sub).toMatch(new RegExp(`^  ${sub} +\\S.*$`, 'm'))
      }
    }
    // no subcommand at all is still a usage error
    expect((await cli('experiment')).code).toBe(2)
  })
})
