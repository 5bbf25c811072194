import { createHash } from 'node:crypto'
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ensureOnnxExport, onnxCacheRoot } from '../../src/main/checkpoint/onnx/onnx-cache'
import { resolveModelSource } from '../../src/main/runtime/model-source'
import { WorkbenchError } from '../../src/shared/errors'
import { useTempCache } from '../main/runtime/core-fixture'
import { BASES, checkpointCases, type CheckpointCase } from './checkpoints-cases'
import { sampleCases } from './sample-cases'

// Hostile checkpoints (checkpoints-cases.ts) opened through the path the CLI and the app use:
// resolveModelSource, then ensureOnnxExport (read, probe, convert, cache). Each must end in a
// typed error with one of its codes, or — where the case says so — load: `identical` only with
// the original's content hash (hence its very export and bit-identical logits), `altered` only
// for the stated reason. Never an untyped error or a hang; the mutant's files, the fixtures and
// the cache (no half-written entry) are unchanged by the attempt.
const CASE_TIMEOUT_MS = 20_000
const PER_CATEGORY = 3 // npm test's sample; BACKPACK_HOSTILE=all runs every case

const all = await checkpointCases()
const byCategory = new Map<string, CheckpointCase[]>()
for (const c of all) byCategory.set(c.category, [...(byCategory.get(c.category) ?? []), c])
const cases = [...byCategory.values()].flatMap((list) => sampleCases(list, PER_CATEGORY))

type Outcome = 'typed' | 'crash' | 'hang' | 'identical' | 'altered' | 'wrongly accepted' | 'data lost'
const tally = new Map<string, Map<Outcome, number>>()
const count = (c: CheckpointCase, o: Outcome) => {
  const t = tally.get(c.category) ?? new Map<Outcome, number>()
  t.set(o, (t.get(o) ?? 0) + 1)
  tally.set(c.category, t)
}

/** Every entry under `dir` without following links or opening anything but regular files. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (p: string, rel: string) => {
    const s = lstatSync(p, { throwIfNoEntry: false })
    if (!s) return
    if (s.isSymbolicLink()) out[rel] = `link:${readlinkSync(p)}`
    else if (s.isFile()) out[rel] = `file:${createHash('sha256').update(readFileSync(p)).digest('hex')}`
    else if (s.isDirectory()) {
      out[rel] = 'dir'
      for (const n of readdirSync(p)) walk(join(p, n), `${rel}/${n}`)
    } else out[rel] = `special:${s.mode}`
  }
  walk(dir, '.')
  return out
}

function cacheEntries(): string[] {
  const root = onnxCacheRoot()
  return existsSync(root)
    ? readdirSync(root)
        .filter((n) => n !== 'fingerprints')
        .sort()
    : []
}

let cache: ReturnType<typeof useTempCache>
let scratch: string
const baseHash: Record<string, string> = {}
let fixturesBefore: Record<string, Record<string, string>>

beforeAll(async () => {
  cache = useTempCache()
  scratch = mkdtempSync(join(tmpdir(), 'backpack-hostile-ckpt-'))
  fixturesBefore = Object.fromEntries(Object.entries(BASES).map(([k, dir]) => [k, snapshot(dir)]))
  for (const [k, dir] of Object.entries(BASES)) baseHash[k] = (await ensureOnnxExport(dir)).manifest.contentHash
})

afterAll(() => {
  for (const [k, dir] of Object.entries(BASES))
    expect(snapshot(dir), `fixture ${k} is byte-identical after the suite`).toEqual(fixturesBefore[k])
  const cols: Outcome[] = ['typed', 'crash', 'hang', 'wrongly accepted', 'data lost', 'identical', 'altered']
  const rows = [...tally].map(
    ([cat, t]) => `| ${cat} | ${[...t.values()].reduce((a, b) => a + b, 0)} | ${cols.map((c) => t.get(c) ?? 0).join(' | ')} |`,
  )
  console.log(
    [
      '| category | cases | typed errors | crashes | hangs | wrongly accepted | data lost | accepted identical | accepted altered |',
      '|---|---|---|---|---|---|---|---|---|',
      ...rows,
    ].join('\n'),
  )
  cache.cleanup()
  rmSync(scratch, { recursive: true, force: true })
})

async function open(dir: string): Promise<{ contentHash: string; dir: string } | { error: unknown } | 'hang'> {
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<'hang'>((resolve) => (timer = setTimeout(() => resolve('hang'), CASE_TIMEOUT_MS)))
  const attempt = (async () => {
    const source = resolveModelSource({ checkpoint: dir })
    if (!('checkpointDir' in source)) throw new Error(`${dir} resolved to an ONNX export`)
    const exp = await ensureOnnxExport(source.checkpointDir)
    return { contentHash: exp.manifest.contentHash, dir: exp.dir }
  })().catch((error: unknown) => ({ error }))
  try {
    return await Promise.race([attempt, hang])
  } finally {
    clearTimeout(timer)
  }
}

describe('hostile checkpoints', () => {
  it('generates every category with enough cases', () => {
    expect(all.length).toBeGreaterThanOrEqual(400)
    expect([...byCategory.keys()].sort()).toEqual(
      [
        'huge values',
        'non-finite values',
        'pickle flip',
        'pickle flip, CRC rewritten',
        'header flip',
        'shape lie',
        'size bomb',
        'symlinks and special files',
        'tensor flip',
        'truncation',
        'zip structure flip',
      ].sort(),
    )
  })

  it.each(cases.map((c, i) => [c.category, c.label, i, c] as const))('%s: %s', async (_cat, _label, i, c) => {
    const dir = join(scratch, String(i))
    c.make(dir)
    const before = snapshot(dir)
    const entriesBefore = cacheEntries()
    const result = await open(dir)

    const after = snapshot(dir)
    const entriesAfter = cacheEntries()
    const halfWritten = entriesAfter.filter((n) => n.startsWith('.tmp-'))
    if (JSON.stringify(after) !== JSON.stringify(before) || halfWritten.length > 0) count(c, 'data lost')
    expect(after, 'the mutant is unchanged on disk').toEqual(before)
    expect(halfWritten, 'no half-written cache entry').toEqual([])

    if (result === 'hang') {
      count(c, 'hang')
      expect.fail(`no answer within ${CASE_TIMEOUT_MS} ms`)
    }
    if ('error' in result) {
      const e = result.error
      if (!(e instanceof WorkbenchError)) count(c, 'crash')
      expect(e, String(e)).toBeInstanceOf(WorkbenchError)
      const err = e as WorkbenchError
      expect(c.codes, `${err.code}: ${err.message}`).toContain(err.code)
      if (c.mentions) expect(err.message).toContain(c.mentions)
      expect(entriesAfter, 'a refused checkpoint adds no export').toEqual(entriesBefore)
      count(c, 'typed')
      return
    }
    const identical = result.contentHash === baseHash[c.base]
    if (identical && c.accept?.identical) {
      // the same content hash is the same canonical tensors and math config: the cache hands back
      // the original's export, so every output is bit-identical
      expect(result.dir).toBe(join(onnxCacheRoot(), baseHash[c.base]))
      count(c, 'identical')
    } else if (!identical && c.accept?.altered) {
      count(c, 'altered') // c.accept.altered says why these bytes legitimately mean other weights
    } else {
      count(c, 'wrongly accepted')
      expect.fail(
        `accepted with content hash ${result.contentHash} (${identical ? 'identical' : 'altered'}); expected one of ${c.codes.join(', ')}`,
      )
    }
    rmSync(dir, { recursive: true, force: true })
  })
})
