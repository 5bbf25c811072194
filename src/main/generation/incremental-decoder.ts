import { WorkbenchError } from '../../shared/errors'
import { isVectorEdit, type ParsedSenseEdits, type ResolvedSenseEdit, type VectorEdit } from '../../shared/edits/parse-sense-edits'
import { assertFiniteLogits, type InterventionRunner, type RunCallOptions } from '../interventions/intervention-runner'
import type { ContextDecoder } from '../runtime/backpack-engine'
import { TopicAnnealer } from './topic-annealer'

type TopicEdit = Extract<ResolvedSenseEdit, { kind: 'topic' }>
type AlphaEdit = Extract<ResolvedSenseEdit, { kind: 'scale-contextualization' }>

/** What the last step combined, for attribution: everything indexed by position j < length. */
export interface LastStep {
  alphaRow: Float32Array // (sense, pos): α̃ of the last position after α edits
  topicScale: Float32Array | null // (sense, pos): δ_eff, when a topic edit is present
  senses: readonly Float32Array[] // per position: C̃(x_j) after vector edits, (sense, d_model)
}

/**
 * Next-token logits of a growing sequence under a sense-edit document, computed incrementally
 * (backpack-spec.md §3.6): the engine's decoder keeps the GPT-2 keys/values and the weight-net
 * keys, so each appended token costs one GPT-2 step and yields one α row per sense; its senses
 * come from the runner's per-id caches (vector edits applied once per token id) and are handed
 * to the decoder with the append, which keeps them; only the last position is combined:
 * logits = E·Σ_ℓ Σ_j α̃[ℓ, j]·δ_eff[ℓ, j]·C̃(x_j)_ℓ through `decoder.combine` — the engine's
 * mix and LM-head graphs, as `engine.combine` with nQuery = 1 (what full recomputation runs),
 * without shipping the (sense, pos, d_model) senses to the worker on every step.
 *
 * Edits, in the runner's order (docs/analysis.md): vector edits on each token's senses; the
 * topic multiplier recomputed over the whole current sequence at every step (the authors'
 * code runs its annealing on every forward pass); α edits (`scale-contextualization`) name
 * prompt positions and keep acting on that source position for every later query row,
 * generated ones included — exactly what a full re-run of the edits over the longer text does.
 */
export class IncrementalDecoder {
  readonly runner: InterventionRunner
  readonly ids: number[] = []
  last: LastStep | null = null
  readonly #decoder: ContextDecoder
  readonly #vectorEdits: VectorEdit[]
  readonly #alphaEdits: AlphaEdit[]
  readonly #annealer: TopicAnnealer | null
  readonly #senses: Float32Array[] = []
  readonly #edited: boolean

  private constructor(runner: InterventionRunner, decoder: ContextDecoder, edits: ResolvedSenseEdit[], annealer: TopicAnnealer | null) {
    this.runner = runner
    this.#decoder = decoder
    this.#vectorEdits = edits.filter(isVectorEdit)
    this.#alphaEdits = edits.filter((e): e is AlphaEdit => e.kind === 'scale-contextualization')
    this.#annealer = annealer
    this.#edited = edits.length > 0
  }

  /** Opens a decoder for `edits` (null: the plain model); feed the prompt with `append`. */
  static async open(runner: InterventionRunner, edits: ParsedSenseEdits | null, call: RunCallOptions = {}): Promise<IncrementalDecoder> {
    const all = edits?.edits ?? []
    const topic = all.find((e): e is TopicEdit => e.kind === 'topic')
    const { numSenses: k, nEmbd: d } = runner.engine.config
    const annealer = topic ? new TopicAnnealer(await runner.topicDelta(topic, call), k, d, topic.strength) : null
    return new IncrementalDecoder(runner, await runner.engine.createDecoder(), all, annealer)
  }

  get length(): number {
    return this.ids.length
  }

  /** Whether `append` may return several rows and `truncate` may drop tokens (not under a topic edit). */
  get canSpeculate(): boolean {
    return this.#annealer === null
  }

  /**
   * Appends tokens (the prompt first, then generated ones) and returns the logits of the last
   * `rows` positions (default 1): (rows, vocab) — row q is what appending up to that position
   * alone would return. α edits must name positions of the first append (the prompt). Several
   * rows need `canSpeculate`; `last` describes the last row.
   */
  async append(newIds: readonly number[], options: { rows?: number } = {}): Promise<Float32Array> {
    if (newIds.length === 0) throw new WorkbenchError('bad-request', 'append needs at least one token')
    const rows = options.rows ?? 1
    if (!Number.isInteger(rows) || rows < 1 || rows > newIds.length)
      throw new WorkbenchError('bad-request', `rows must be an integer in [1, ${newIds.length}], got ${rows}`)
    if (rows > 1 && !this.canSpeculate)
      throw new WorkbenchError('bad-request', 'several rows per append are not available under a topic edit')
    const { numSenses: k, nEmbd: d, nPositions } = this.runner.engine.config
    if (this.ids.length + newIds.length > nPositions) {
      throw new WorkbenchError('too-long', `${this.ids.length + newIds.length} tokens exceed the model's ${nPositions} positions`)
    }
    if (this.ids.length === 0) {
      for (const e of this.#alphaEdits) {
        if (e.position >= newIds.length)
          throw new WorkbenchError(
            'edit-invalid',
            `edit ${e.index} (scale-contextualization): position ${e.position} is outside this prompt of ${newIds.length} tokens [0, ${newIds.length})`,
          )
      }
    }
    const senses = await this.runner.editedSenses(newIds, this.#vectorEdits)
    const embeddings = this.#annealer ? await this.runner.embedding(newIds) : []
    const m = newIds.length
    const packed = new Float32Array(m * k * d) // (n_new, sense, d_model): kept by the engine's decoder
    senses.forEach((c, i) => packed.set(c, i * k * d))
    const alpha = await this.#decoder.append(newIds, { senses: packed }) // (sense, m, n)
    this.ids.push(...newIds)
    this.#senses.push(...senses)
    this.#annealer?.push(newIds, senses, embeddings)
    const n = this.ids.length
    const alphaRows = new Float32Array(k * rows * n) // (sense, row, pos), zero past each row's position
    let row = new Float32Array(0)
    for (let q = 0; q < rows; q++) {
      const i = m - rows + q // index among the new positions
      const len = n - rows + q + 1 // positions its row spans
      row = new Float32Array(k * len) // (sense, pos)
      for (let l = 0; l < k; l++) row.set(alpha.subarray((l * m + i) * n, (l * m + i) * n + len), l * len)
      editAlphaRow(row, k, len, this.#alphaEdits)
      for (let l = 0; l < k; l++) alphaRows.set(row.subarray(l * len, (l + 1) * len), (l * rows + q) * n)
    }
    const topicScale = this.#annealer ? this.#annealer.scale() : null
    this.last = { alphaRow: row, topicScale, senses: this.#senses }
    const logits = await this.#decoder.combine(alphaRows, rows, topicScale ?? undefined) // (rows, vocab)
    if (this.#edited)
      assertFiniteLogits(
        logits,
        this.runner.engine.config.vocabSize,
        Array.from({ length: rows }, (_, q) => n - rows + q),
      )
    return logits
  }

  /** Keeps the first `length` tokens (drops draft tokens that were not accepted). */
  async truncate(length: number): Promise<void> {
    if (!this.canSpeculate) throw new WorkbenchError('bad-request', 'truncate is not available under a topic edit')
    if (!Number.isInteger(length) || length < 0 || length > this.ids.length)
      throw new WorkbenchError('bad-request', `truncate: length must be in [0, ${this.ids.length}], got ${length}`)
    await this.#decoder.truncate(length)
    this.ids.length = length
    this.#senses.length = length
    this.last = null
  }

  dispose(): void {
    this.#decoder.dispose()
  }
}

/**
 * α edits on the last query row i = n − 1, in document order, as `editContextualization` does
 * on every row: α[ℓ, i, p] ← factor·α[ℓ, i, p], then (renormalize) divide the row by its sum.
 */
export function editAlphaRow(row: Float32Array, k: number, n: number, edits: readonly AlphaEdit[]): void {
  for (const edit of edits) {
    const p = edit.position
    if (p >= n) continue
    for (const l of edit.senses) {
      const off = l * n
      row[off + p] *= edit.factor
      if (!edit.renormalize) continue
      let sum = 0
      for (let j = 0; j < n; j++) sum += row[off + j]
      if (sum > 0) for (let j = 0; j < n; j++) row[off + j] /= sum
    }
  }
}
