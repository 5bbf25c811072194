// Tokenizes a UTF-8 text file with the GPT-2 BPE (js-tiktoken `gpt2`, the same ranks the app uses)
// and writes the ids as little-endian uint16 (every GPT-2 id is < 65536).
// Usage: node tools/train-demo/tokenize.mjs IN.txt OUT.bin
// Lines are encoded one at a time including their "\n"; GPT-2's pre-tokenizer never merges
// across a newline followed by a non-space, so this equals encoding the whole file at once.
import { readFileSync, writeFileSync } from 'node:fs'
import { getEncoding } from 'js-tiktoken'

const [input, output] = process.argv.slice(2)
if (!input || !output) {
  console.error('usage: node tokenize.mjs IN.txt OUT.bin')
  process.exit(2)
}
const enc = getEncoding('gpt2')
const text = readFileSync(input, 'utf8')
const lines = text.split(/(?<=\n)/)
const chunks = []
let total = 0
for (const line of lines) {
  if (line.length === 0) continue
  const ids = enc.encode(line, [], [])
  chunks.push(Uint16Array.from(ids))
  total += ids.length
}
const out = new Uint16Array(total)
let at = 0
for (const c of chunks) {
  out.set(c, at)
  at += c.length
}
writeFileSync(output, Buffer.from(out.buffer, out.byteOffset, out.byteLength))
console.log(JSON.stringify({ input, output, lines: chunks.length, tokens: total }))
