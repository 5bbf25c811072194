import { closeSync, ftruncateSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../src/main/store/experiment-store'
import { cli, TINY } from './cli-harness'

// `evaluate` end to end in-process on the tiny fixture (real engine, real SQLite), against the
// PyTorch golden of test/fixtures/golden/evaluate-tiny.
const G = resolve('test/fixtures/golden/evaluate-tiny')
const input = JSON.parse(readFileSync(join(G, 'input.json'), 'utf8')) as { documents: { name: string; text: string }[] }
const expected = JSON.parse(readFileSync(join(G, 'expected.json'), 'utf8')) as { documents: { name: string; logProbs: number[] }[] }
const refSum = (name: string) => expected.documents.find((d) => d.name === name)!.logProbs.reduce((s, x) => s + x, 0)
const env = { ...process.env }
let dir = ''

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'bw-evaluate-cli-'))
  Object.assign(process.env, { BACKPACK_CACHE_DIR: join(dir, 'cache'), BACKPACK_DATA_DIR: join(dir, 'data') })
  mkdirSync(join(dir, 'corpus'))
  for (const d of input.documents.slice(1)) writeFileSync(join(dir, 'corpus', d.name), d.text)
  writeFileSync(join(dir, 'corpus', 'notes.md'), 'not a document')
  mkdirSync(join(dir, 'corpus', 'nested.txt')) // a folder named .txt is not a document
  mkdirSync(join(dir, 'no-text'))
  writeFileSync(join(dir, 'no-text', 'a.md'), 'markdown only')
  writeFileSync(join(dir, 'empty.txt'), '')
  writeFileSync(join(dir, 'blank.txt'), '  \n\n\t')
  writeFileSync(join(dir, 'binary.txt'), Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00, 0x14, 0x00]))
  writeFileSync(join(dir, 'latin1.txt'), Buffer.from('caf\xe9 au lait', 'latin1'))
  mkdirSync(join(dir, 'device-link'))
  writeFileSync(join(dir, 'device-link', 'a.txt'), 'The bank of the river.')
  symlinkSync('/dev/zero', join(dir, 'device-link', 'zero.txt'))
  mkdirSync(join(dir, 'many'))
  for (let i = 0; i <= 1000; i++) writeFileSync(join(dir, 'many', `${String(i).padStart(4, '0')}.txt`), 'The bank of the river.')
  mkdirSync(join(dir, 'big-total'))
  for (let i = 0; i < 9; i++) {
    const f = openSync(join(dir, 'big-total', `${i}.txt`), 'w')
    ftruncateSync(f, 3_900_000) // each under the per-file bound, 35 MB together
    closeSync(f)
  }
  writeFileSync(join(dir, 'long.txt'), 'a'.repeat(1_000_001))
  const fd = openSync(join(dir, 'huge.txt'), 'w')
  ftruncateSync(fd, 64 * 1024 * 1024) // sparse: 64 MiB the reader must refuse unread
  closeSync(fd)
})
afterAll(() => {
  process.env = env
  rmSync(dir, { recursive: true, force: true })
})

describe('cli evaluate', () => {
  it('evaluates one file: per-document row and total as the reference, no log-probs in the JSON, progress on stderr', async () => {
    const r = await cli(['evaluate', '--file', join(dir, 'corpus', 'one-window.txt'), '--checkpoint', TINY])
    expect(r.code).toBe(0)
    const out = r.json()
    expect(out).not.toHaveProperty('logProbs')
    expect(Object.keys(out)).toEqual(['contentHash', 'editsFile', 'documents', 'total', 'window', 'edited', 'timingsMs'])
    expect(out.documents).toHaveLength(1)
    expect(out.documents[0]).toMatchObject({ name: 'one-window.txt', tokens: 240, predicted: 239 })
    expect(Math.abs(out.documents[0].sumLogProb - refSum('one-window.txt'))).toBeLessThan(1e-3)
    expect(out.total).toMatchObject({ documents: 1, tokens: 240, predicted: 239, sumLogProb: out.documents[0].sumLogProb })
    expect(r.stderr).toMatch(/evaluate: 239\/239 tokens/)
  })

  it('evaluates every .txt file of a folder in name order, under edits', async () => {
    const plain = (await cli(['evaluate', '--dir', join(dir, 'corpus'), '--checkpoint', TINY])).json()
    expect(plain.documents.map((d: { name: string }) => d.name)).toEqual(['one-window.txt', 'sentence.txt'])
    expect(plain.total).toMatchObject({ documents: 2, tokens: 248, predicted: 246 })
    const edited = await cli(['evaluate', '--dir', join(dir, 'corpus'), '--edits', join(G, 'edits.json'), '--checkpoint', TINY])
    expect(edited.code).toBe(0)
    const e = edited.json()
    expect(e.edited).toBe(true)
    const refEdited = JSON.parse(readFileSync(join(G, 'expected-edits.json'), 'utf8')) as {
      documents: { name: string; logProbs: number[] }[]
    }
    for (const d of e.documents) {
      const ref = refEdited.documents.find((x) => x.name === d.name)!.logProbs.reduce((s, x) => s + x, 0)
      expect(Math.abs(d.sumLogProb - ref)).toBeLessThan(1e-3)
    }
    expect(e.total.sumLogProb).not.toBe(plain.total.sumLogProb)
  })

  it('refuses bad input with typed errors before or without running the model', async () => {
    const code = async (...args: string[]) => {
      const r = await cli(['evaluate', ...args, '--checkpoint', TINY])
      return [r.code, /^error\[([a-z-]+)\]/.exec(r.stderr)?.[1]]
    }
    expect(await code('--file', join(dir, 'empty.txt'))).toEqual([2, 'bad-request'])
    expect(await code('--file', join(dir, 'blank.txt'))).toEqual([2, 'bad-request'])
    expect(await code('--file', join(dir, 'binary.txt'))).toEqual([2, 'bad-request'])
    expect(await code('--file', join(dir, 'latin1.txt'))).toEqual([2, 'bad-request'])
    expect(await code('--file', join(dir, 'huge.txt'))).toEqual([1, 'too-long'])
    expect(await code('--file', join(dir, 'long.txt'))).toEqual([1, 'too-long'])
    expect(await code('--dir', join(dir, 'big-total'))).toEqual([1, 'too-long'])
    expect(await code('--file', '/dev/zero')).toEqual([2, 'bad-request'])
    expect(await code('--dir', join(dir, 'device-link'))).toEqual([2, 'bad-request'])
    expect(await code('--dir', join(dir, 'many'))).toEqual([2, 'bad-request'])
    expect(await code('--file', join(dir, 'missing.txt'))).toEqual([1, 'not-found'])
    expect(await code('--file', join(dir, 'corpus'))).toEqual([2, 'bad-request'])
    expect(await code('--dir', join(dir, 'no-text'))).toEqual([1, 'not-found'])
    expect(await code('--dir', join(dir, 'empty.txt'))).toEqual([2, 'bad-request'])
    expect(await code('--dir', join(dir, 'corpus'), '--file', join(dir, 'blank.txt'))).toEqual([2, 'bad-request'])
    expect(await code()).toEqual([2, 'bad-request'])
    expect(await code('--file', join(dir, 'corpus', 'sentence.txt'), '--db', join(dir, 'x.sqlite'))).toEqual([2, 'bad-request'])
    expect(await code('--file', join(dir, 'corpus', 'sentence.txt'), '--save-new', 'a', '--save', '1')).toEqual([2, 'bad-request'])
    expect(await code('--file', join(dir, 'corpus', 'sentence.txt'), '--save', 'one')).toEqual([2, 'bad-request'])
    expect(await code('--file', join(dir, 'corpus', 'sentence.txt'), '--edits', join(dir, 'binary.txt'))).toEqual([1, 'edit-invalid'])
  })

  it('--save-new records the run in a new experiment and --save adds one to it, log-probs as blobs', async () => {
    const db = join(dir, 'runs.sqlite')
    const first = await cli(['evaluate', '--dir', join(dir, 'corpus'), '--checkpoint', TINY, '--save-new', 'corpus baseline', '--db', db])
    expect(first.code).toBe(0)
    const out = first.json()
    expect(out.saved).toEqual({ experimentId: expect.any(Number), runId: expect.any(Number) })
    const again = (
      await cli(['evaluate', '--dir', join(dir, 'corpus'), '--checkpoint', TINY, '--save', String(out.saved.experimentId), '--db', db])
    ).json()
    expect(again.saved.experimentId).toBe(out.saved.experimentId)
    expect(again.total).toEqual(out.total) // the same corpus on the same model: the same figures
    const store = await ExperimentStore.open(db)
    try {
      const run = await store.getRun(out.saved.runId)
      expect(run.kind).toBe('evaluate')
      expect(run.outputs).toMatchObject({ documents: out.documents, total: out.total, window: 512, edited: false })
      expect(run.metrics).toEqual({ perplexity: out.total.perplexity, meanLogProb: out.total.meanLogProb, predictedTokens: 246 })
      expect(run.blobs.logProbs.data).toHaveLength(246)
      expect(Array.from(run.blobs.documentOffsets.data)).toEqual([0, 239, 246])
      expect((run.inputs.documents as { name: string }[]).map((d) => d.name)).toEqual(['one-window.txt', 'sentence.txt'])
    } finally {
      await store.close()
    }
  })
})
