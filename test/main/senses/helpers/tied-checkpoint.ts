import { copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { floatToHalf, HALF_TO_FLOAT } from '../../../../src/main/senses/float16'
import { gpt2Tokenizer } from '../../../../src/main/tokenizer/gpt2-tokenizer'

const TINY = join(import.meta.dirname, '../../../fixtures/checkpoints/tiny-fullvocab')
const WTE = 'backpack.gpt2_model.wte.weight'

export const one = (text: string): number => {
  const ids = gpt2Tokenizer().encode(text)
  if (ids.length !== 1) throw new Error(`${JSON.stringify(text)} is not one token`)
  return ids[0]
}

/**
 * A copy of the tiny full-vocabulary fixture (random weights, fp16) with deliberately tied
 * embedding rows, written to a temp dir: group `unseen` (" MacBook" and eight punctuation
 * tokens) all get token 1's row scaled by 40 (so they sit at the ends of many lists) and are
 * marked never seen in a `unigram-counts.json` (every other token counted once); group `pair`
 * (" Colts" gets " Patriots"'s row) is seen; group `boosting` (ids 100, 200, 300 get the row of
 * " vaccination", whose sense 0 boosts " the" most on this fixture) puts a tied block at the top
 * of reverse lookup. Returns the directory and the groups (sorted).
 */
export function tiedCheckpoint(): { dir: string; unseen: number[]; pair: number[]; boosting: number[] } {
  const dir = mkdtempSync(join(tmpdir(), 'bw-tied-'))
  for (const f of readdirSync(TINY)) if (f !== 'model.safetensors') copyFileSync(join(TINY, f), join(dir, f))
  const bytes = new Uint8Array(readFileSync(join(TINY, 'model.safetensors')))
  const view = new DataView(bytes.buffer)
  const headerLength = Number(view.getBigUint64(0, true))
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLength))) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >
  const wte = header[WTE]
  if (wte.dtype !== 'F16') throw new Error(`expected ${WTE} in F16, got ${wte.dtype}`)
  const [vocab, d] = wte.shape
  const base = 8 + headerLength + wte.data_offsets[0]
  const row = (id: number) => bytes.subarray(base + id * d * 2, base + (id + 1) * d * 2)
  const unseen = [one(' MacBook'), 1, 3, 4, 6, 9, 32, 59, 60].sort((a, b) => a - b)
  const pair = [one(' Patriots'), one(' Colts')].sort((a, b) => a - b)
  const big = new Uint8Array(d * 2)
  const src = new DataView(row(1).slice().buffer)
  const dst = new DataView(big.buffer)
  for (let c = 0; c < d; c++) dst.setUint16(c * 2, floatToHalf(HALF_TO_FLOAT[src.getUint16(c * 2, true)] * 40), true)
  for (const id of unseen) row(id).set(big)
  const patriots = row(one(' Patriots')).slice()
  for (const id of pair) row(id).set(patriots)
  const boosting = [one(' vaccination'), 100, 200, 300].sort((a, b) => a - b)
  const vaccination = row(one(' vaccination')).slice()
  for (const id of boosting) row(id).set(vaccination)
  writeFileSync(join(dir, 'model.safetensors'), bytes)
  const counts = Array.from({ length: 50257 }, (_, i) => (unseen.includes(i) ? 0 : 1))
  writeFileSync(join(dir, 'unigram-counts.json'), JSON.stringify({ vocab: 50257, counts }))
  if (vocab !== 50264) throw new Error('tiny-fullvocab changed')
  return { dir, unseen, pair, boosting }
}
