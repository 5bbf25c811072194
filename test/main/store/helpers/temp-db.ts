import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { SenseEditDocument } from '../../../../src/shared/edits/sense-edits'

/** A fresh temporary folder per test file; removed by the returned cleanup. */
export function tempDir(prefix = 'store-'): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) }
}

export function dbPath(dir: string, name = 'experiments.sqlite'): string {
  return join(dir, name)
}

/** A small valid edit document: ablate sense 10 of " nurse", and a knowledge edit. */
export function sampleEdits(factor = 0): SenseEditDocument {
  return {
    format: 'backpack-sense-edits',
    version: 1,
    edits: [
      { kind: 'scale-sense', token: ' nurse', sense: 10, factor },
      { kind: 'knowledge-edit', token: ' MacBook', remove: ' Apple', add: ' HP' },
    ],
  }
}
