/**
 * A run's numeric arrays as a notebook reads them: one `.npz` (a zip of `.npy` files, what
 * `numpy.savez` writes) per run, and this index of its arrays, kept in the archive as
 * `index.json` and beside it.
 */
export const RUN_ARRAYS_FORMAT = 'backpack-run-arrays'

export interface RunArrayEntry {
  /** numpy's name of the dtype: float32, float64, int32, uint8 */
  dtype: string
  shape: number[]
  /** what the values are, with their axes */
  meaning: string
  /** `blob`: stored as the run's array; `outputs`: gathered from the run's outputs (the API response) */
  source: 'blob' | 'outputs'
}

export interface RunArrayIndex {
  format: typeof RUN_ARRAYS_FORMAT
  version: 1
  run: {
    id: number
    uid: string
    experimentId: number
    kind: string
    inputs: Record<string, unknown>
    settings: Record<string, unknown>
    checkpoint: string | null
    createdAt: number
  }
  /** array name (the `.npy` member's name without the extension) → what it holds */
  arrays: Record<string, RunArrayEntry>
}

/** What `experiments.exportArrays` answers: the `.npz` file's bytes (base64), its name, and its index. */
export interface ExportedRunArrays {
  fileName: string
  base64: string
  index: RunArrayIndex
}
