import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { exactTopicSenseScores, topicStaticDeltas } from '../../../src/main/interventions/topic-weights'
import { InterventionRunner } from '../../../src/main/interventions/intervention-runner'
import { openSenseTable } from '../../../src/main/senses/sense-table'
import { mulberry32 } from '../../helpers/mulberry32'
import { ArrayEngine } from './array-engine'

const dirs: string[] = []
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })))

describe('exactTopicSenseScores', () => {
  it('gives the quantiles and δ of the exact scores from approximate dots within their bounds', async () => {
    for (const seed of [1, 2, 3]) {
      const rand = mulberry32(seed)
      const V = 700
      const k = 4
      const n = V * k
      // few distinct exact values (many ties and near-ties at the quantiles), then perturbed dots
      const exact = Float64Array.from({ length: n }, () => Math.round(rand() * 40) / 7 - 2 + (rand() < 0.3 ? rand() * 1e-6 : 0))
      const maxScore = Float32Array.from({ length: n }, () => (rand() < 0.7 ? 1 : 1 + rand())) // many exact ties
      const bound = Float64Array.from({ length: n }, () => rand() * 1e-3)
      const dots = Float64Array.from(exact, (e, r) => e + (rand() * 2 - 1) * bound[r])
      maxScore[5] = 0 // a non-positive max is always rescored
      const asked: number[][] = []
      const { scores, rescored } = await exactTopicSenseScores({
        dots,
        bound,
        maxScore,
        vocabSize: V,
        numSenses: k,
        scoredTokens: V - 10,
        exactDots: async (rows) => {
          asked.push(rows)
          return Float64Array.from(rows, (r) => exact[r])
        },
      })
      const want = new Float32Array(n)
      for (let r = 0; r < (V - 10) * k; r++) want[r] = exact[r] / maxScore[r]
      expect(rescored).toBe(asked.flat().length)
      expect(new Set(asked.flat()).size).toBe(rescored) // no row twice
      expect(asked[0]).toContain(5)
      expect(rescored).toBeLessThan(n / 2)
      for (const strength of [1, 2, 3] as const) {
        const a = topicStaticDeltas(scores, strength)
        const b = topicStaticDeltas(want, strength)
        expect(a.q).toEqual(b.q)
        expect(Array.from(a.delta)).toEqual(Array.from(b.delta))
      }
      // without the rescoring the approximate scores would classify some rows differently
      const naive = Float32Array.from(dots, (x, r) => (r < (V - 10) * k ? x / maxScore[r] : 0))
      expect(Array.from(topicStaticDeltas(naive, 2).delta)).not.toEqual(Array.from(topicStaticDeltas(want, 2).delta))
    }
  })
})

describe('InterventionRunner.topicScores on an fp16 table', () => {
  it('gives δ equal to the one from exact float64 bag dots of the fp32 senses', async () => {
    const e = new ArrayEngine(3000, 2, 8, 31)
    const { numSenses: k, nEmbd: d } = e.config
    const dir = mkdtempSync(join(tmpdir(), 'topic-weights-'))
    dirs.push(dir)
    const table = await openSenseTable(e, { dir, precision: 'f16', chunkTokens: 1000, need: 'scores' })
    const runner = new InterventionRunner(e, { senseTable: async () => table })
    const bag = [5, 77, 901]
    const scores = await runner.topicScores(table, bag)
    expect(runner.lastTopicScores?.rescored).toBeGreaterThan(0)
    expect(runner.lastTopicScores?.rescored).toBeLessThan(3000 * k)
    const bagVec = new Float64Array(d)
    for (const v of bag) for (let c = 0; c < d; c++) bagVec[c] += e.E[v * d + c]
    const want = new Float32Array(3000 * k)
    for (let r = 0; r < 3000 * k; r++) {
      let s = 0
      for (let c = 0; c < d; c++) s += e.C[r * d + c] * bagVec[c]
      want[r] = s / table.maxScore[r]
    }
    for (const strength of [1, 2, 3] as const) {
      const a = topicStaticDeltas(scores, strength)
      const b = topicStaticDeltas(want, strength)
      expect(a.q).toEqual(b.q)
      expect(Array.from(a.delta)).toEqual(Array.from(b.delta))
    }
    expect(await runner.topicScores(table, bag)).toBe(scores) // cached per bag
  })
})
