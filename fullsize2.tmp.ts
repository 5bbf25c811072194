import { closeSync, mkdirSync, openSync, writeFileSync, writeSync } from 'node:fs'
import { expectedTensorShapes } from './src/main/checkpoint/backpack-config'
import { runReference } from './src/main/parity/run-reference'
const dir = '/tmp/h7-full'
const config = { vocabSize: 50264, nEmbd: 768, nHead: 12, nLayer: 12, nPositions: 512, nInner: 3072, numSenses: 16, senseIntermediateScale: 4, layerNormEpsilon: 1e-5, scaleAttnByInverseLayerIdx: true, scaleAttnWeights: true, bosTokenId: 50256, eosTokenId: 50256 }
if (process.argv[2] === 'write') {
  mkdirSync(dir, { recursive: true })
  writeFileSync(`${dir}/config.json`, JSON.stringify({ model_type: 'gpt2', architectures: ['BackpackGPT2LMHeadModel'], vocab_size: 50264, n_embd: 768, n_head: 12, n_layer: 12, n_positions: 512, num_senses: 16, sense_intermediate_scale: 4 }))
  const shapes = [...expectedTensorShapes(config)]
  const header: Record<string, unknown> = {}
  let off = 0
  for (const [name, shape] of shapes) { const n = shape.reduce((a, b) => a * b, 1) * 4; header[name] = { dtype: 'F32', shape, data_offsets: [off, off + n] }; off += n }
  let h = JSON.stringify(header); while (h.length % 8) h += ' '
  const fd = openSync(`${dir}/model.safetensors`, 'w')
  const len = Buffer.alloc(8); len.writeBigUInt64LE(BigInt(h.length)); writeSync(fd, len); writeSync(fd, Buffer.from(h))
  let seed = 12345
  for (const [name, shape] of shapes) {
    const n = shape.reduce((a, b) => a * b, 1); const data = new Float32Array(n); const ln = name.includes('ln') && name.endsWith('weight')
    for (let i = 0; i < n; i++) { seed = (seed * 1664525 + 1013904223) >>> 0; data[i] = ln ? 1 : (seed / 2 ** 32 - 0.5) * 0.04 }
    writeSync(fd, new Uint8Array(data.buffer))
  }
  closeSync(fd)
} else {
  let maxGap = 0; let last = performance.now(); let ticks = 0
  const timer = setInterval(() => { const now = performance.now(); maxGap = Math.max(maxGap, now - last); last = now; ticks++ }, 10)
  const t0 = performance.now(); const steps: string[] = []
  const r = await runReference(dir, [464, 15849, 531, 326, 673, 561, 766, 262, 15849], { onProgress: (p) => steps.push(`${p.done}/${p.total} ${((performance.now() - t0) / 1000).toFixed(1)}s ${p.message}`) })
  clearInterval(timer)
  console.log(steps.join('\n'))
  console.log(`wall ${((performance.now() - t0) / 1000).toFixed(2)} s; worker read ${(r.readMs / 1000).toFixed(2)} s, forward ${(r.forwardMs / 1000).toFixed(2)} s; main-thread max timer gap ${maxGap.toFixed(0)} ms over ${ticks} ticks; logits ${r.logits.length}`)
}
