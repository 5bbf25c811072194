import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { loadTiedTokens, UNIGRAM_COUNTS_FILE } from '../../../src/main/senses/load-tied-tokens'
import { TiedTokens } from '../../../src/main/senses/tied-tokens'
import { explainEditTokens } from '../../../src/main/senses/edit-tie-warnings'

const d = 3
function rows(values: number[][]): Float32Array {
  return Float32Array.from(values.flat())
}

describe('TiedTokens', () => {
  // rows 0, 2, 5 identical; 1 and 4 identical; 3 differs from 1 only by −0 vs +0 (bits differ);
  // 6 (padding, beyond the text vocabulary) repeats row 0 and is not grouped
  const E = rows([
    [1, 2, 3],
    [0, 1, 1],
    [1, 2, 3],
    [-0, 1, 1],
    [0, 1, 1],
    [1, 2, 3],
    [1, 2, 3],
  ])

  it('groups bit-identical rows of real tokens, first id first, and nothing else', () => {
    const tied = TiedTokens.fromRows(E, 7, d, 6)
    expect(tied.groups).toEqual([
      [0, 2, 5],
      [1, 4],
    ])
    expect(tied.groupOf(3)).toBeNull()
    expect(tied.groupOf(6)).toBeNull()
    expect(tied.hidden.sort()).toEqual([2, 4, 5])
    expect([0, 1, 2, 3, 4, 5].map((x) => tied.isRepresentative(x))).toEqual([true, true, false, true, false, false])
    expect(tied.neverSeen).toBeNull()
    expect(tied.info(5)).toMatchObject({ size: 3, sample: [{ id: 0 }, { id: 2 }, { id: 5 }], neverSeen: false })
    expect(tied.info(3)).toBeNull()
  })

  it('groups only exact copies among many distinct rows', () => {
    // 2000 distinct pseudo-random rows plus one copy: only the copy and its original are grouped
    const n = 2001
    const many = new Float32Array(n * d)
    for (let i = 0; i < (n - 1) * d; i++) many[i] = Math.sin(i * 12.9898) * 43758.5453
    many.set(many.subarray(7 * d, 8 * d), (n - 1) * d)
    expect(TiedTokens.fromRows(many, n, d, n).groups).toEqual([[7, n - 1]])
  })

  it('marks never-seen tokens from counts, and a group as never seen only when all its members are', () => {
    const tied = TiedTokens.fromRows(E, 7, d, 6, [0, 5, 0, 0, 0, 0])
    expect(tied.isNeverSeen(0)).toBe(true)
    expect(tied.isNeverSeen(1)).toBe(false)
    expect(tied.info(0)?.neverSeen).toBe(true)
    expect(tied.info(4)?.neverSeen).toBe(false)
    expect(explainEditTokens({ token: 3 }, tied)).toHaveLength(1) // untied but never seen
    expect(explainEditTokens({ token: 1, remove: 0, add: 2 }, tied).length).toBeGreaterThan(0) // remove and add tied
    const none = TiedTokens.fromRows(E, 7, d, 6, [1, 1, 1, 1, 1, 1])
    expect(explainEditTokens({ token: 3 }, none)).toEqual([])
  })

  it('loadTiedTokens reads unigram counts when shipped and ignores a missing or malformed file', async () => {
    const engine = {
      config: { vocabSize: 7, nEmbd: d } as never,
      embeddingRows: async (ids: readonly number[]) => rows(ids.map((i) => Array.from(E.subarray(i * d, (i + 1) * d)))),
    }
    const dir = mkdtempSync(join(tmpdir(), 'bw-counts-'))
    try {
      expect((await loadTiedTokens(engine, dir)).neverSeen).toBeNull()
      writeFileSync(join(dir, UNIGRAM_COUNTS_FILE), '{"counts": [1, "x"]}')
      expect((await loadTiedTokens(engine, dir)).neverSeen).toBeNull()
      writeFileSync(join(dir, UNIGRAM_COUNTS_FILE), 'not json')
      expect((await loadTiedTokens(engine, dir)).neverSeen).toBeNull()
      writeFileSync(join(dir, UNIGRAM_COUNTS_FILE), JSON.stringify({ counts: [3, 0, 1, 1, 1, 1] }))
      const tied = await loadTiedTokens(engine, dir)
      expect(tied.isNeverSeen(1)).toBe(true)
      expect(tied.groups).toEqual([
        [0, 2, 5, 6],
        [1, 4],
      ]) // a 7-token model has no padding ids: token 6 is grouped too
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
