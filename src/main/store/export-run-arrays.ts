import { zipSync, type Zippable } from 'fflate'
import { RUN_ARRAYS_FORMAT, type RunArrayIndex } from '../../shared/store/run-array-types'
import { encodeNpy } from '../npy/npy'
import type { ExperimentStore } from './experiment-store'
import { runArrays } from './run-arrays'

export interface RunArraysFile {
  /** `run-<id>.npz` */
  fileName: string
  /** the archive: one `<name>.npy` per array and `index.json` (numpy.load reads it; `z['index.json']` is its bytes) */
  bytes: Uint8Array
  index: RunArrayIndex
}

/**
 * A run's arrays as one `.npz` (stored, uncompressed members, as `numpy.savez` writes) with the
 * index of what each array holds. `not-found` for an unknown run id.
 */
export async function exportRunArrays(store: ExperimentStore, runId: number): Promise<RunArraysFile> {
  const run = await store.getRun(runId)
  const arrays = runArrays(run)
  const index: RunArrayIndex = {
    format: RUN_ARRAYS_FORMAT,
    version: 1,
    run: {
      id: run.id,
      uid: run.uid,
      experimentId: run.experimentId,
      kind: run.kind,
      inputs: run.inputs,
      settings: run.settings,
      checkpoint: run.checkpoint,
      createdAt: run.createdAt,
    },
    arrays: {},
  }
  const files: Zippable = {}
  for (const [name, a] of arrays) {
    index.arrays[name] = { dtype: a.dtype, shape: a.shape, meaning: a.meaning, source: a.source }
    files[`${name}.npy`] = [encodeNpy(a.shape, a.data), { level: 0 }]
  }
  files['index.json'] = [new TextEncoder().encode(JSON.stringify(index, null, 2) + '\n'), { level: 0 }]
  // a fixed time stamp: the same run always gives the same bytes
  return { fileName: `run-${run.id}.npz`, bytes: zipSync(files, { mtime: new Date('2000-01-01T00:00:00Z') }), index }
}
