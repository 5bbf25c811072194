import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { ensureOnnxExport } from '../../../src/main/checkpoint/onnx/onnx-cache'
import { readNpy, type NpyArray } from '../../../src/main/npy/npy'
import { EngineCore, type WeightLayout } from '../../../src/main/runtime/engine-core'

/** Test helpers: fixture paths, a private conversion cache, an in-process engine core. */
export const FIXTURES = resolve(import.meta.dirname, '../../fixtures')
export const checkpointPath = (name: string) => join(FIXTURES, 'checkpoints', name)

export interface Golden {
  ids: number[]
  logits: NpyArray
  senses: NpyArray
  contextualization: NpyArray
}

export function golden(name: string): Golden {
  const dir = join(FIXTURES, 'golden', name)
  return {
    ids: JSON.parse(readFileSync(join(dir, 'ids.json'), 'utf8')) as number[],
    logits: readNpy(join(dir, 'logits.npy')),
    senses: readNpy(join(dir, 'senses.npy')),
    contextualization: readNpy(join(dir, 'contextualization.npy')),
  }
}

/** Points BACKPACK_CACHE_DIR at a fresh temp dir; returns a cleanup function. */
export function useTempCache(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'backpack-cache-'))
  const before = process.env.BACKPACK_CACHE_DIR
  process.env.BACKPACK_CACHE_DIR = dir
  return {
    dir,
    cleanup: () => {
      if (before === undefined) delete process.env.BACKPACK_CACHE_DIR
      else process.env.BACKPACK_CACHE_DIR = before
      rmSync(dir, { recursive: true, force: true })
    },
  }
}

/** Converts (into the current cache) and opens an in-process engine core on the CPU provider. */
export async function openCore(fixture: string, options: { senseCacheBytes?: number; weights?: WeightLayout } = {}): Promise<EngineCore> {
  const exp = await ensureOnnxExport(checkpointPath(fixture))
  return EngineCore.open(exp.dir, exp.manifest, 'cpu', options)
}
