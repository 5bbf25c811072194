import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { WorkbenchError } from '../../../../src/shared/errors'
import { expectedTensorShapes, parseBackpackConfig } from '../../../../src/main/checkpoint/backpack-config'
import { randomTensors, tinyConfigJson } from './checkpoint-writer'
import type { HelperTensor } from './checkpoint-writer'

/** The canonical tensors of the tiny config (helpers' default), deterministic per seed. */
export function tinyTensors(seed = 1, exact16 = false, over: Record<string, unknown> = {}): Map<string, HelperTensor> {
  return randomTensors(expectedTensorShapes(parseBackpackConfig(tinyConfigJson(over))), seed, exact16)
}

/** A scratch directory under the OS temp dir, removed by the returned cleanup. */
export function scratchDir(tag: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `backpack-${tag}-`))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

/** Awaits `p` and returns the WorkbenchError it rejects with (or throws if it does not). */
export async function workbenchErrorOf(p: Promise<unknown>): Promise<WorkbenchError> {
  try {
    await p
  } catch (e) {
    if (e instanceof WorkbenchError) return e
    throw new Error(`expected a WorkbenchError, got ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`)
  }
  throw new Error('expected a WorkbenchError, but it resolved')
}
