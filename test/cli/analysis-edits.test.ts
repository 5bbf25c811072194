import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { readNpy } from '../../src/main/npy/npy'
import { gpt2Tokenizer } from '../../src/main/tokenizer/gpt2-tokenizer'
import { cli, TINY, useTempCache } from './cli-harness'

/** predict, attribute and forward with --edits through the CLI, in-process. */
const cacheDir = useTempCache()
const doc = (edits: unknown[]) => JSON.stringify({ format: 'backpack-sense-edits', version: 1, edits })
const text = 'The nurse said that the MacBook'
const ids = gpt2Tokenizer().encode(text)

function editsFile(name: string, edits: unknown[]): string {
  const p = join(cacheDir(), name)
  writeFileSync(p, doc(edits))
  return p
}

describe('cli predict', () => {
  it('prints next-token top-k and per-token log-probs', async () => {
    const r = await cli(['predict', '--text', text, '--top', '3', '--checkpoint', TINY])
    expect(r.code, r.stderr).toBe(0)
    const j = r.json()
    expect(j.tokens.map((t: { id: number }) => t.id)).toEqual(ids)
    expect(j.next).toHaveLength(3)
    const probs = j.next.map((t: { prob: number }) => t.prob)
    expect(probs).toEqual([...probs].sort((a, b) => b - a))
    expect(j.logProbs.map((l: { position: number }) => l.position)).toEqual(ids.slice(1).map((_, i) => i + 1))
    for (const l of j.logProbs) {
      expect(l.logProb).toBeLessThan(0)
      if (l.rank <= 3) expect(l.alternatives[l.rank - 1].id).toBe(l.id)
    }
    expect(j.edited).toBe(false)
  })

  it('with --edits ablating every prompt token, the distribution is uniform over the 50257 real tokens', async () => {
    const file = editsFile(
      'ablate.json',
      [...new Set(ids)].map((token) => ({ kind: 'scale-sense', token, factor: 0 })),
    )
    const j = (await cli(['predict', '--text', text, '--top', '2', '--edits', file, '--checkpoint', TINY])).json()
    expect(j.edited).toBe(true)
    for (const l of j.logProbs) expect(l.logProb).toBeCloseTo(-Math.log(50257), 5) // padding ids masked
  })

  it("with --log-odds prints the blast radius, and this prompt's changes stay within it", async () => {
    const file = editsFile('radius.json', [
      { kind: 'scale-sense', token: ' nurse', sense: [0, 2], factor: -2 },
      { kind: 'knowledge-edit', token: ' MacBook', remove: ' Apple', add: ' HP' },
    ])
    const r = await cli(['predict', '--text', text, '--edits', file, '--log-odds', ' he', '--log-odds', ' she', '--checkpoint', TINY])
    expect(r.code, r.stderr).toBe(0)
    const { blastRadius: b } = r.json()
    expect(b).toMatchObject({ tokenA: 339, tokenB: 673 })
    expect(b.observedChange).toHaveLength(ids.length)
    expect(b.observedChange.some((x: number) => Math.abs(x) > 1e-3)).toBe(true)
    for (const x of b.observedChange) {
      expect(x).toBeLessThanOrEqual(b.maxIncrease + 1e-4)
      expect(x).toBeGreaterThanOrEqual(b.maxDecrease - 1e-4)
    }
    expect((await cli(['predict', '--text', text, '--log-odds', ' he', '--checkpoint', TINY])).code).toBe(2)
  })

  it("with an α edit too: the radius names the edits it does not bound, observedChange is the bounded edits' own", async () => {
    const file = editsFile('radius-alpha.json', [
      { kind: 'scale-sense', token: ' nurse', sense: [0, 2], factor: -2 },
      { kind: 'scale-contextualization', position: 1, factor: 40 },
    ])
    const r = await cli(['predict', '--text', text, '--edits', file, '--log-odds', ' he', '--log-odds', ' she', '--checkpoint', TINY])
    expect(r.code, r.stderr).toBe(0)
    const { blastRadius: b } = r.json()
    expect(b.notCovered).toEqual([{ index: 1, kind: 'scale-contextualization' }])
    const inside = (x: number) => x <= b.maxIncrease + 1e-4 && x >= b.maxDecrease - 1e-4
    expect(b.observedChange).toHaveLength(ids.length)
    expect(b.observedChange.every(inside)).toBe(true)
    // the whole document's change is reported apart: the α edit (×40 on position 1) leaves the bound
    expect(b.observedChangeAllEdits).toHaveLength(ids.length)
    expect(b.observedChangeAllEdits.every(inside)).toBe(false)
  })

  it('rejects an invalid edit document, naming the edit', async () => {
    const file = editsFile('bad.json', [{ kind: 'scale-sense', token: ' nurse', sense: 4, factor: 0 }])
    const r = await cli(['predict', '--text', text, '--edits', file, '--checkpoint', TINY])
    expect(r.code).toBe(1)
    expect(r.stderr).toMatch(/^error\[edit-invalid\]: edit 0 \(scale-sense\): "sense" 4 is out of range/)
  })
})

describe('cli attribute and forward --edits', () => {
  it("contributions sum to the logit, which equals forward's logits.npy entry (1e-4)", async () => {
    const out = join(cacheDir(), 'fw')
    expect((await cli(['forward', '--ids', ids.join(','), '--out', out, '--checkpoint', TINY])).code).toBe(0)
    const logits = readNpy(join(out, 'logits.npy'))
    const r = await cli(['attribute', '--ids', ids.join(','), '--position=-1', '--target', ' she', '--all', '--checkpoint', TINY])
    expect(r.code, r.stderr).toBe(0)
    const j = r.json()
    expect(j.position).toBe(ids.length - 1)
    expect(j.contributions).toHaveLength(4 * ids.length)
    const sum = j.contributions.reduce((s: number, c: { value: number }) => s + c.value, 0)
    expect(Math.abs(sum - j.logit)).toBeLessThanOrEqual(1e-4)
    expect(Math.abs(j.logit - logits.data[(ids.length - 1) * 50264 + 673])).toBeLessThanOrEqual(1e-4)
  })

  it('under vector and α edits the sum still equals the edited logit, and forward --edits writes the same logits', async () => {
    const file = editsFile('mixed.json', [
      { kind: 'knowledge-edit', token: ' MacBook', remove: ' Apple', add: ' HP' },
      { kind: 'scale-sense', token: ' nurse', sense: [1, 3], factor: 2.5 },
      { kind: 'scale-contextualization', position: 1, factor: 0.5, renormalize: true },
    ])
    const r = await cli([
      'attribute',
      '--ids',
      ids.join(','),
      '--position',
      '3',
      '--target',
      ' she',
      '--all',
      '--edits',
      file,
      '--checkpoint',
      TINY,
    ])
    expect(r.code, r.stderr).toBe(0)
    const j = r.json()
    expect(j.edited).toBe(true)
    expect(Math.abs(j.total - j.logit)).toBeLessThanOrEqual(1e-4)
    const out = join(cacheDir(), 'fw-edits')
    const f = await cli(['forward', '--ids', ids.join(','), '--out', out, '--edits', file, '--checkpoint', TINY])
    expect(f.code, f.stderr).toBe(0)
    const edited = readNpy(join(out, 'logits.npy'))
    expect(Math.abs(edited.data[3 * 50264 + 673] - j.logit)).toBeLessThanOrEqual(1e-4)
  })
})
