import { randomBytes } from 'node:crypto'

/** A tiny but well-formed safetensors file: one F32 tensor of random values. */
export function tinySafetensors(rows = 128, cols = 256): Buffer {
  const data = randomBytes(rows * cols * 4) // (rows, cols) f32
  let header = JSON.stringify({ 'transformer.wte.weight': { dtype: 'F32', shape: [rows, cols], data_offsets: [0, data.length] } })
  header += ' '.repeat((8 - (header.length % 8)) % 8)
  const len = Buffer.alloc(8)
  len.writeBigUInt64LE(BigInt(header.length))
  return Buffer.concat([len, Buffer.from(header), data])
}

export function tinyConfig(): Buffer {
  return Buffer.from(
    JSON.stringify({ model_type: 'backpack-gpt2', n_embd: 16, n_layer: 1, n_head: 2, num_senses: 4, vocab_size: 50264 }, null, 2),
  )
}
