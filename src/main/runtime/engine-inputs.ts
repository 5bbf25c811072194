import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'

/**
 * Validation of the engine's untrusted inputs (they arrive from the UI, the CLI and scripts).
 * Rejects ids outside [0, vocab) and, unless `offset` is null (no position limit), sequences
 * whose last position offset + ids.length would exceed n_positions.
 */
export function checkTokenIds(config: BackpackConfig, ids: readonly number[], what: string, offset: number | null = 0): void {
  const { vocabSize, nPositions } = config
  if (!Array.isArray(ids)) throw new WorkbenchError('bad-request', `${what}: ids must be an array of integers`)
  if (offset !== null && offset + ids.length > nPositions) {
    throw new WorkbenchError(
      'too-long',
      `${what}: ${offset + ids.length} tokens exceed the model's limit of ${nPositions} positions (n_positions)`,
    )
  }
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new WorkbenchError('bad-request', `${what}: token id ${JSON.stringify(id)} at index ${i} is outside [0, ${vocabSize})`)
    }
  })
}

/** Checks combine's layouts; returns the number of source positions T. */
export function checkCombineInputs(
  config: BackpackConfig,
  senses: Float32Array,
  alphaRows: Float32Array,
  nQuery: number,
  senseScale?: Float32Array,
): number {
  const { numSenses: k, nEmbd: d } = config
  if (!(senses instanceof Float32Array) || senses.length % (k * d) !== 0) {
    throw new WorkbenchError(
      'bad-request',
      `combine: senses must be a Float32Array of (sense=${k}, pos, d_model=${d}) values, got ${senses?.length}`,
    )
  }
  const T = senses.length / (k * d)
  if (!Number.isInteger(nQuery) || nQuery < 0 || !(alphaRows instanceof Float32Array) || alphaRows.length !== k * nQuery * T) {
    throw new WorkbenchError(
      'bad-request',
      `combine: alphaRows must hold (sense=${k}, nQuery=${nQuery}, pos=${T}) = ${k * nQuery * T} values, got ${alphaRows?.length}`,
    )
  }
  if (senseScale !== undefined && (!(senseScale instanceof Float32Array) || senseScale.length !== k * T)) {
    throw new WorkbenchError('bad-request', `combine: senseScale must hold (sense=${k}, pos=${T}) values, got ${senseScale?.length}`)
  }
  if (T > config.nPositions) throw new WorkbenchError('too-long', `combine: ${T} positions exceed the limit of ${config.nPositions}`)
  return T
}
