import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { forwardProbe } from '../../../src/main/checkpoint/forward-probe'
import { writeOnnxExport } from '../../../src/main/checkpoint/onnx/write-onnx-export'
import { readCheckpoint } from '../../../src/main/checkpoint/read-checkpoint'
import { readCheckpointStreamed } from '../../../src/main/checkpoint/streamed-checkpoint'
import { checkpointCases } from '../../hostile/checkpoints-cases'
import { baseCases, hostileCases } from './helpers/hostile-cases'
import { scratchDir } from './helpers/tiny-checkpoint'

// The conversion's streaming reader (streamed-checkpoint.ts) must come to the same verdict as the
// in-memory reader on every input: the same error code on each hostile case, the same content
// hash, probe verdict and export on valid ones. `streamMinBytes: 0` keeps every storage of these
// tiny checkpoints on disk, so the streamed checks (CRC-32, finite values) are the ones tested.
const scratch = scratchDir('streamed')
afterAll(() => scratch.cleanup())
let n = 0
const mutants = await checkpointCases()

function writeCase(make: () => { config: unknown; files: Record<string, Uint8Array | string> }): string {
  const dir = join(scratch.dir, String(n++))
  mkdirSync(dir)
  const { config, files } = make()
  if (config !== undefined) writeFileSync(join(dir, 'config.json'), typeof config === 'string' ? config : JSON.stringify(config))
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes)
  return dir
}

async function codeOf(p: Promise<{ stream?: { close(): Promise<void> } }>): Promise<string> {
  try {
    const c = await p
    await c.stream?.close()
    return 'accepted'
  } catch (e) {
    return e instanceof WorkbenchError ? e.code : `not a WorkbenchError: ${String(e)}`
  }
}

describe('streamed checkpoint reading', () => {
  it.each(hostileCases().map((c, i) => [i, c.label, c] as const))('hostile #%i %s: the same error as in memory', async (_i, _label, c) => {
    const dir = writeCase(c.make)
    expect(await codeOf(readCheckpointStreamed(dir, { streamMinBytes: 0 }))).toBe(c.expect)
    rmSync(dir, { recursive: true, force: true })
  })

  // the mutants of the committed fixtures (CRC-checked tensor flips, truncations, zip structure,
  // special files, …): the same error code, or the same content hash where both accept
  it.each(mutants.map((c, i) => [c.category, c.label, i, c] as const))('%s: %s', async (_cat, _label, i, c) => {
    const dir = join(scratch.dir, `mutant-${i}`)
    c.make(dir)
    const verdict = async (read: Promise<{ contentHash: string; stream?: { close(): Promise<void> } }>): Promise<string> => {
      try {
        const r = await read
        await r.stream?.close()
        return `accepted ${r.contentHash}`
      } catch (e) {
        return e instanceof WorkbenchError ? e.code : `not a WorkbenchError: ${String(e)}`
      }
    }
    expect(await verdict(readCheckpointStreamed(dir, { streamMinBytes: 0 }))).toBe(await verdict(readCheckpoint(dir)))
  })

  // the probe reads matrices in blocks of rows: any block size gives the in-memory verdict (or error)
  const probed = mutants.filter((c) => c.category === 'huge values').slice(0, 24)
  it.each(probed.map((c, i) => [c.label, i, c] as const))('probe in blocks of rows: %s', async (_label, i, c) => {
    const dir = join(scratch.dir, `probe-${i}`)
    c.make(dir)
    const outcome = (run: () => unknown): string => {
      try {
        return JSON.stringify(run())
      } catch (e) {
        return e instanceof WorkbenchError ? `${e.code}: ${e.message}` : `not a WorkbenchError: ${String(e)}`
      }
    }
    const memory = await readCheckpoint(dir)
    const streamed = await readCheckpointStreamed(dir, { streamMinBytes: 0 })
    try {
      expect(streamed.stream).toBeDefined()
      const want = outcome(() => forwardProbe(memory))
      expect(want).toMatch(/^checkpoint-values: /)
      for (const blockFloats of [1, 100, 4096]) {
        expect(outcome(() => forwardProbe({ ...streamed.stream!.probeWeights(), blockFloats }))).toBe(want)
        expect(outcome(() => forwardProbe({ ...memory, blockFloats }))).toBe(want)
      }
    } finally {
      await streamed.stream?.close()
    }
  })

  it.each(baseCases().map((b) => [b.label, b] as const))('base %s: same hash, probe verdict and export', async (_label, b) => {
    const dir = writeCase(b.make)
    const memory = await readCheckpoint(dir)
    const streamed = await readCheckpointStreamed(dir, { streamMinBytes: 0 })
    try {
      expect(streamed.contentHash).toBe(memory.contentHash)
      const verdict = forwardProbe(memory)
      expect(forwardProbe(streamed.stream?.probeWeights() ?? streamed)).toEqual(verdict)
      if (streamed.stream) expect(forwardProbe({ ...streamed.stream.probeWeights(), blockFloats: 1 })).toEqual(verdict)
      const a = join(dir, 'export-memory')
      const s = join(dir, 'export-streamed')
      mkdirSync(a)
      mkdirSync(s)
      const ma = await writeOnnxExport(memory, a, memory.contentHash)
      const ms = await writeOnnxExport(streamed, s, streamed.contentHash, { source: streamed.stream?.source })
      expect({ ...ms, createdAt: '' }).toEqual({ ...ma, createdAt: '' })
      for (const f of ['weights.bin', ...Object.values(ma.graphs)])
        expect(readFileSync(join(s, f)).equals(readFileSync(join(a, f))), f).toBe(true)
    } finally {
      await streamed.stream?.close()
    }
  })

  it('streams the float32 torch zip and safetensors bases (the streamed path is the one compared above)', async () => {
    const kinds = new Map<string, boolean>()
    for (const b of baseCases()) {
      const streamed = await readCheckpointStreamed(writeCase(b.make), { streamMinBytes: 0 })
      kinds.set(`${streamed.format}:${streamed.stream ? 'streamed' : 'memory'}`, true)
      await streamed.stream?.close()
    }
    expect(kinds.has('pytorch-zip:streamed')).toBe(true)
    expect(kinds.has('safetensors:streamed')).toBe(true)
  })

  it('refuses a checkpoint file that changed while it was being converted', async () => {
    const b = baseCases().find((c) => 'pytorch_model.bin' in c.make().files)!
    const dir = writeCase(b.make)
    const streamed = await readCheckpointStreamed(dir, { streamMinBytes: 0 })
    expect(streamed.stream).toBeDefined()
    const later = new Date(Date.now() + 5000)
    utimesSync(join(dir, 'pytorch_model.bin'), later, later)
    expect(await codeOf(streamed.stream!.close(true).then(() => ({})))).toBe('checkpoint-corrupt')
  })
})
