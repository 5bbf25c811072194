import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { parseBackpackConfig } from '../../src/main/checkpoint/backpack-config'
import { canonicalTensors } from '../../src/main/checkpoint/canonical-tensors'
import { contentHash } from '../../src/main/checkpoint/content-hash'
import { forwardProbe } from '../../src/main/checkpoint/forward-probe'
import { writeOnnxExport } from '../../src/main/checkpoint/onnx/write-onnx-export'
import { readFileBytes } from '../../src/main/checkpoint/read-file-bytes'
import { readCheckpointStreamed } from '../../src/main/checkpoint/streamed-checkpoint'
import { readTorchZip } from '../../src/main/checkpoint/torch-zip'

/**
 * Where a conversion goes: `npx tsx tools/bench/convert-probe.ts <checkpoint dir with pytorch_model.bin (torch zip)> [memory|streamed]`
 * runs the steps of a conversion one by one into a temporary folder and prints wall and CPU time
 * (user, system) of each, then the total and the process's peak RSS. `memory` (the default): the
 * in-memory reader's steps (read the file, zip + pickle, canonical tensors, hash), the overflow
 * probe, writeOnnxExport. `streamed`: the conversion's streaming reader (streamed-checkpoint.ts:
 * metadata, CRC, finite check and hash through one buffer), the probe reading from the file, and
 * the export copying from it.
 */
const dir = process.argv[2]
const mode = process.argv[3] ?? 'memory'
if (!dir || !['memory', 'streamed'].includes(mode)) throw new Error('usage: convert-probe.ts <checkpoint dir> [memory|streamed]')
const t0 = performance.now()
const c0 = process.cpuUsage()
let t = t0
let c = c0
const line = (name: string, since: number, cpu: NodeJS.CpuUsage) => {
  const u = process.cpuUsage(cpu)
  process.stdout.write(
    `${name.padEnd(12)} wall ${(performance.now() - since).toFixed(0).padStart(6)} ms, user ${(u.user / 1000).toFixed(0).padStart(5)} ms, system ${(u.system / 1000).toFixed(0).padStart(5)} ms\n`,
  )
}
const lap = (name: string) => {
  line(name, t, c)
  t = performance.now()
  c = process.cpuUsage()
}
const out = mkdtempSync(join(tmpdir(), 'convert-probe-'))
try {
  if (mode === 'memory') {
    const config = parseBackpackConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')))
    const bytes = await readFileBytes(join(dir, 'pytorch_model.bin'))
    lap('read file')
    const raw = readTorchZip(bytes, 'pytorch_model.bin')
    lap('zip+pickle')
    const tensors = canonicalTensors(raw, config)
    lap('canonical')
    const hash = contentHash(tensors, config)
    lap('hash')
    forwardProbe({ config, tensors })
    lap('probe')
    await writeOnnxExport({ config, tensors }, out, hash)
    lap('write onnx')
  } else {
    const ckpt = await readCheckpointStreamed(dir)
    if (!ckpt.stream) throw new Error(`${dir} is not streamed (see streamed-checkpoint.ts for what is)`)
    lap('read+check')
    forwardProbe(ckpt.stream.probeWeights())
    lap('probe')
    await writeOnnxExport(ckpt, out, ckpt.contentHash, { source: ckpt.stream.source })
    await ckpt.stream.close(true)
    lap('write onnx')
  }
  line('total', t0, c0)
  process.stdout.write(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB\n`)
} finally {
  rmSync(out, { recursive: true, force: true })
}
