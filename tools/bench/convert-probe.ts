import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseBackpackConfig } from '../../src/main/checkpoint/backpack-config'
import { canonicalTensors } from '../../src/main/checkpoint/canonical-tensors'
import { contentHash } from '../../src/main/checkpoint/content-hash'
import { writeOnnxExport } from '../../src/main/checkpoint/onnx/write-onnx-export'
import { readFileBytes } from '../../src/main/checkpoint/read-file-bytes'
import { readTorchZip } from '../../src/main/checkpoint/torch-zip'

/**
 * Where a conversion goes: `npx tsx tools/bench/convert-probe.ts <checkpoint dir with pytorch_model.bin (torch zip)>`
 * runs the steps of readCheckpoint + writeOnnxExport one by one into a temporary folder and
 * prints wall and CPU time (user, system) of each.
 */
const dir = process.argv[2]
if (!dir) throw new Error('usage: convert-probe.ts <checkpoint dir>')
let t = performance.now()
let c = process.cpuUsage()
const lap = (name: string) => {
  const u = process.cpuUsage(c)
  process.stdout.write(
    `${name.padEnd(12)} wall ${(performance.now() - t).toFixed(0).padStart(6)} ms, user ${(u.user / 1000).toFixed(0).padStart(5)} ms, system ${(u.system / 1000).toFixed(0).padStart(5)} ms\n`,
  )
  t = performance.now()
  c = process.cpuUsage()
}
const config = parseBackpackConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')))
const bytes = await readFileBytes(join(dir, 'pytorch_model.bin'))
lap('read file')
const raw = readTorchZip(bytes, 'pytorch_model.bin')
lap('zip+pickle')
const tensors = canonicalTensors(raw, config)
lap('canonical')
const hash = contentHash(tensors, config)
lap('hash')
const out = mkdtempSync(join(tmpdir(), 'convert-probe-'))
try {
  await writeOnnxExport({ config, tensors }, out, hash)
  lap('write onnx')
} finally {
  rmSync(out, { recursive: true, force: true })
}
