import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { openEngine } from '../../../src/main/runtime/open-engine'
import type { WorkerEngine } from '../../../src/main/runtime/worker-engine'
import { paritySelfCheck } from '../../../src/main/workbench/parity-self-check'
import { gpt2Tokenizer } from '../../../src/main/tokenizer/gpt2-tokenizer'
import { GPT2_TEXT_VOCAB } from '../../../src/shared/model/config'

/**
 * The bundled demo Backpack (resources/demo-backpack), through the real engine (TS→ONNX
 * conversion, onnxruntime in a worker): it is a language model, not noise, and a sense ablation
 * visibly works on it. Numbers are recomputed here from the shipped files only.
 */
const DIR = join(import.meta.dirname, '../../../resources/demo-backpack')
const CHUNK = 512 // ≤ n_positions; no BOS (training used none): every token but a chunk's first is predicted

interface UnigramCounts {
  vocab: number
  total: number
  counts: number[]
}
interface Intervention {
  text: string
  ids: number[]
  word: number
  wordPositions: number[]
  sense: number
  target: number
  pBefore: number
  pAfter: number
}
interface Evaluation {
  heldout_sample: { model_ppl: number; unigram_ppl: number; predicted_tokens: number }
}

const readJson = <T>(name: string): T => JSON.parse(readFileSync(join(DIR, name), 'utf8')) as T

/** log-softmax of one logits row at `target`, accumulated in float64. */
function logProb(row: Float32Array, target: number): number {
  let max = -Infinity
  for (const x of row) max = Math.max(max, x)
  let sum = 0
  for (const x of row) sum += Math.exp(x - max)
  return row[target] - max - Math.log(sum)
}

/** Total probability of the listed ids in one logits row. */
function massOf(row: Float32Array, ids: Int32Array): number {
  let max = -Infinity
  for (const x of row) max = Math.max(max, x)
  let sum = 0
  for (const x of row) sum += Math.exp(x - max)
  let part = 0
  for (const id of ids) part += Math.exp(row[id] - max)
  return part / sum
}

describe('demo Backpack checkpoint (shipped files, real engine)', () => {
  let engine: WorkerEngine
  let cache = ''
  const saved = process.env.BACKPACK_CACHE_DIR
  beforeAll(async () => {
    cache = mkdtempSync(join(tmpdir(), 'demo-backpack-cache-'))
    process.env.BACKPACK_CACHE_DIR = cache
    engine = await openEngine({ checkpointDir: DIR, provider: 'cpu' })
  }, 300_000)
  afterAll(async () => {
    await engine?.dispose()
    if (saved === undefined) delete process.env.BACKPACK_CACHE_DIR
    else process.env.BACKPACK_CACHE_DIR = saved
    rmSync(cache, { recursive: true, force: true })
  })

  it('is an ordinary full-vocabulary Backpack-GPT2 checkpoint', () => {
    expect(engine.config.vocabSize).toBe(50264)
    expect(engine.config.nPositions).toBe(512)
    expect(engine.config.numSenses).toBe(16)
    expect(engine.config.scaleAttnByInverseLayerIdx).toBe(true)
  })

  it('the stored reference outputs (reference/, float64 PyTorch) match the engine: the parity self-check passes', async () => {
    const ids = JSON.parse(readFileSync(join(DIR, 'reference', 'ids.json'), 'utf8')) as number[]
    expect(ids).toEqual(gpt2Tokenizer().encode('The nurse said that she would be late today.'))
    const report = await paritySelfCheck(engine, DIR)
    expect(report.tokens).toBe(ids.length)
    expect(report.tensors.map((t) => t.tensor)).toEqual(['logits', 'senses', 'contextualization'])
    for (const t of report.tensors) expect(t.passed, `${t.tensor}: relative error ${t.relativeError}`).toBe(true) // max|Δ|/max|ref| < 1e-4
    expect(report.passed).toBe(true)
  }, 120_000)

  it('held-out perplexity is well under half the unigram perplexity; never-seen ids get negligible mass', async () => {
    const ids = gpt2Tokenizer().encode(readFileSync(join(DIR, 'heldout.txt'), 'utf8'))
    expect(ids.length).toBeGreaterThan(1500)
    const uni = readJson<UnigramCounts>('unigram-counts.json')
    expect(uni.vocab).toBe(GPT2_TEXT_VOCAB)
    expect(uni.counts).toHaveLength(GPT2_TEXT_VOCAB)
    expect(uni.counts.reduce((a, b) => a + b, 0)).toBe(uni.total)
    const unigramLogP = (id: number) => Math.log((uni.counts[id] + 1) / (uni.total + uni.vocab)) // add-one
    const neverSeen: number[] = []
    for (let id = 0; id < engine.config.vocabSize; id++) if (id >= GPT2_TEXT_VOCAB || uni.counts[id] === 0) neverSeen.push(id)
    const unseenIds = Int32Array.from(neverSeen)

    const V = engine.config.vocabSize
    let nllModel = 0
    let nllUnigram = 0
    let n = 0
    let unseenMass = 0
    for (let s = 0; s < ids.length; s += CHUNK) {
      const chunk = ids.slice(s, s + CHUNK)
      if (chunk.length < 2) break
      const { logits } = await engine.forward(chunk) // (pos, vocab)
      for (let i = 0; i + 1 < chunk.length; i++) {
        const row = logits.subarray(i * V, (i + 1) * V)
        nllModel -= logProb(row, chunk[i + 1])
        nllUnigram -= unigramLogP(chunk[i + 1])
        unseenMass += massOf(row, unseenIds)
        n++
      }
    }
    const modelPpl = Math.exp(nllModel / n)
    const unigramPpl = Math.exp(nllUnigram / n)
    const ev = readJson<Evaluation>('evaluation.json').heldout_sample
    // the PyTorch evaluation (tools/train-demo/evaluate.py) saw the same tokens: same count, ppl within 0.5 %
    expect(n).toBe(ev.predicted_tokens)
    expect(Math.abs(modelPpl / ev.model_ppl - 1)).toBeLessThan(5e-3)
    expect(Math.abs(unigramPpl / ev.unigram_ppl - 1)).toBeLessThan(1e-9)
    expect(modelPpl).toBeLessThan(0.5 * unigramPpl)
    // mean total probability on the 12k ids never seen in training (a quarter of the vocabulary): < 0.5 %
    expect(unseenMass / n).toBeLessThan(5e-3)
  }, 300_000)

  it('ablating the sense that promotes a token lowers that token’s probability', async () => {
    const iv = readJson<Intervention>('intervention.json')
    const ids = gpt2Tokenizer().encode(iv.text)
    expect(ids).toEqual(iv.ids)
    const { numSenses: k, nEmbd: d, vocabSize: V } = engine.config
    const T = ids.length
    // the chosen sense of the word promotes the target more than any other token: E·C(w)_ℓ argmax
    const senses = await engine.senseVectors([iv.word]) // (1, sense, d)
    const scores = await engine.project(senses.slice(iv.sense * d, (iv.sense + 1) * d), 1) // (1, vocab)
    let arg = 0
    for (let v = 1; v < V; v++) if (scores[v] > scores[arg]) arg = v
    expect(arg).toBe(iv.target)

    const out = await engine.forward(ids)
    const pBefore = Math.exp(logProb(out.logits.subarray((T - 1) * V, T * V), iv.target))
    const alphaRows = new Float32Array(k * T) // (sense, 1, pos): α rows of the last position
    for (let l = 0; l < k; l++) alphaRows.set(out.contextualization.subarray((l * T + T - 1) * T, (l * T + T) * T), l * T)
    const combine = (senseScale?: Float32Array) => engine.combine({ senses: out.senses, alphaRows, nQuery: 1, senseScale })
    const ones = new Float32Array(k * T).fill(1) // (sense, pos)
    const ablated = ones.slice()
    for (const j of iv.wordPositions) ablated[iv.sense * T + j] = 0
    const pUnchanged = Math.exp(logProb(await combine(ones), iv.target))
    const pAfter = Math.exp(logProb(await combine(ablated), iv.target))

    expect(Math.abs(pUnchanged - pBefore)).toBeLessThan(1e-4 * Math.max(1, pBefore) + 1e-6) // combine(scale 1) = forward
    expect(Math.abs(pBefore / iv.pBefore - 1)).toBeLessThan(2e-3) // PyTorch evaluation, same shipped weights
    expect(Math.abs(pAfter / iv.pAfter - 1)).toBeLessThan(2e-3)
    expect(pAfter).toBeLessThan(0.5 * pBefore)
  }, 120_000)
})
