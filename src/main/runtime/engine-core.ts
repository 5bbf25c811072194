import { closeSync, openSync, readSync } from 'node:fs'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import type { BackpackConfig } from '../../shared/model/config'
import { GRAPH_NAMES, GRAPHS, type GraphName } from '../../shared/model/graph-io'
import type { OnnxManifest } from '../checkpoint/onnx/onnx-manifest'
import type { EngineProgress, ForwardOutputs, ProviderInfo } from './backpack-engine'
import { checkSessionIo } from './check-session-io'
import { checkCombineInputs, checkTokenIds } from './engine-inputs'
import { createSession, floatTensor, ortBackends, runSession, tensorData, type OrtSession, type OrtTensor, type SessionTuning } from './ort'
import { planProvider, type ProviderChoice } from './select-provider'
import { SenseCache } from './sense-cache'

/** Ids per sense-network run; requests of SENSE_CACHE_MAX_REQUEST ids or more do not enter the cache. */
const SENSE_CHUNK = 256
const SENSE_CACHE_MAX_REQUEST = 1024
/**
 * How the sessions hold the weights: `prepacked` (onnxruntime packs every GEMM weight at session
 * creation: slower to open, faster per call — for long-lived engines) or `mapped` (weights stay
 * memory-mapped from the data file and are packed per call: a full-size engine opens in a
 * fraction of the time — for one-shot work such as a CLI `forward`). Results agree within the
 * parity tolerance.
 */
export type WeightLayout = 'prepacked' | 'mapped'

/** Live decoders per engine; creating one more drops the oldest (its appends become not-found). */
export const MAX_DECODERS = 16

interface DecoderState {
  length: number
  keys: OrtTensor // (layer, head, length, head_dim)
  values: OrtTensor
  senseKeys: OrtTensor // (sense, length, sense_dim)
  /**
   * Senses the caller handed in with each append, for decoderCombine: (sense, capacity, d_model),
   * positions ≥ length are zero. null once an append came without senses (combine refuses).
   */
  senses: Float32Array | null
  capacity: number
}

/** First capacity (positions) of a decoder's sense buffer; it doubles as needed, up to n_positions. */
const DECODER_SENSE_CAPACITY = 16

/**
 * The engine proper, living in the worker thread: four onnxruntime sessions over one ONNX
 * export, a per-id sense cache and the decoder states. All methods validate their inputs.
 */
export class EngineCore {
  readonly #sessions: Record<GraphName, OrtSession>
  readonly #decoders = new Map<number, DecoderState>()
  readonly #senseCache: SenseCache
  readonly #embFd: number
  #nextDecoder = 1

  private constructor(
    readonly manifest: OnnxManifest,
    readonly provider: ProviderInfo,
    sessions: Record<GraphName, OrtSession>,
    embFd: number,
    senseCacheBytes?: number,
  ) {
    this.#sessions = sessions
    this.#embFd = embFd
    this.#senseCache = new SenseCache(this.config.numSenses * this.config.nEmbd, senseCacheBytes)
  }

  get config(): BackpackConfig {
    return this.manifest.config
  }

  /** Opens the sessions of an export directory with the planned provider (see selectProvider). */
  static async open(
    dir: string,
    manifest: OnnxManifest,
    choice: ProviderChoice,
    options: { senseCacheBytes?: number; weights?: WeightLayout } = {},
  ): Promise<EngineCore> {
    const backends = ortBackends()
    const plan = planProvider(choice, backends, process.platform, process.arch)
    const available = backends.filter((b) => b.bundled).map((b) => b.name)
    let reason = plan.reason
    for (let i = 0; i < plan.tryOrder.length; i++) {
      const name = plan.tryOrder[i]
      try {
        const sessions = await openSessions(dir, name, options.weights ?? 'prepacked')
        for (const g of GRAPH_NAMES) checkSessionIo(g, sessions[g])
        const provider: ProviderInfo = { name, requested: choice, available, ...(reason ? { reason } : {}) }
        return new EngineCore(manifest, provider, sessions, openSync(join(dir, manifest.dataFile), 'r'), options.senseCacheBytes)
      } catch (e) {
        const last = i === plan.tryOrder.length - 1
        if (e instanceof WorkbenchError && e.code === 'onnx-model') throw e
        if (last && choice !== 'auto') {
          throw new WorkbenchError('provider-unavailable', `provider "${name}" failed to start: ${(e as Error).message}`, { cause: e })
        }
        if (last) throw e
        reason = `auto: provider "${name}" failed to start (${(e as Error).message}); using ${plan.tryOrder[i + 1]}`
      }
    }
    throw new WorkbenchError('internal', 'no provider to try')
  }

  /** See checkTokenIds: ids in [0, vocab), and within n_positions unless offset is null. */
  checkIds(ids: readonly number[], what: string, offset: number | null = 0): void {
    checkTokenIds(this.config, ids, what, offset)
  }

  /**
   * Sense vectors by id: cache hits are copied, misses run through the sense network in chunks.
   * Requests of SENSE_CACHE_MAX_REQUEST ids or more (vocabulary sweeps, such as the sense table's
   * 1024-id chunks) read the cache but do not fill it, so they neither evict the prompt ids nor
   * pay for the copies (at full size the copies cost a fifth of a table chunk's CPU time).
   */
  async senseVectors(ids: readonly number[]): Promise<Float32Array> {
    this.checkIds(ids, 'senseVectors', null)
    const per = this.config.numSenses * this.config.nEmbd
    const result = new Float32Array(ids.length * per) // (n, sense, d_model)
    const where = new Map<number, number[]>() // id → indices in the request
    ids.forEach((id, i) => {
      const list = where.get(id)
      if (list) list.push(i)
      else where.set(id, [i])
    })
    const missing: number[] = []
    for (const [id, at] of where) {
      const hit = this.#senseCache.get(id)
      if (hit) for (const i of at) result.set(hit, i * per)
      else missing.push(id)
    }
    const fill = ids.length < SENSE_CACHE_MAX_REQUEST
    for (let start = 0; start < missing.length; start += SENSE_CHUNK) {
      const chunk = missing.slice(start, start + SENSE_CHUNK)
      const out = await runSession(this.#sessions.senses, 'senses', {
        token_embeddings: floatTensor(this.#rows(chunk), [chunk.length, this.config.nEmbd]),
      })
      const data = tensorData(out.senses) // (chunk, sense, d_model)
      this.#senseCache.count(chunk.length)
      chunk.forEach((id, c) => {
        const vec = data.subarray(c * per, (c + 1) * per)
        for (const i of where.get(id)!) result.set(vec, i * per)
        if (fill) this.#senseCache.set(id, vec.slice())
      })
    }
    return result
  }

  /** One run of the sense network for ids, without the sense cache (vocabulary sweeps): (n, sense, d_model). */
  async runSenses(ids: readonly number[]): Promise<Float32Array> {
    this.checkIds(ids, 'senses', null)
    const out = await runSession(this.#sessions.senses, 'senses', { token_embeddings: this.#embeds(ids) })
    this.#senseCache.count(ids.length)
    return tensorData(out.senses)
  }

  /** Senses of a prompt in HF layout: (sense, pos, d_model). */
  async promptSenses(ids: readonly number[]): Promise<Float32Array> {
    const { numSenses: k, nEmbd: d } = this.config
    const byId = await this.senseVectors(ids) // (pos, sense, d_model)
    const T = ids.length
    const out = new Float32Array(k * T * d)
    for (let t = 0; t < T; t++) {
      for (let l = 0; l < k; l++) out.set(byId.subarray((t * k + l) * d, (t * k + l + 1) * d), (l * T + t) * d)
    }
    return out
  }

  #emptyPast(): Record<string, OrtTensor> {
    const { nLayer, nHead, nEmbd, numSenses } = this.config
    return {
      past_keys: floatTensor(new Float32Array(0), [nLayer, nHead, 0, nEmbd / nHead]),
      past_values: floatTensor(new Float32Array(0), [nLayer, nHead, 0, nEmbd / nHead]),
      past_sense_keys: floatTensor(new Float32Array(0), [numSenses, 0, nEmbd / numSenses]),
    }
  }

  async contextualize(ids: readonly number[]): Promise<Float32Array> {
    this.checkIds(ids, 'contextualize')
    if (ids.length === 0) return new Float32Array(0)
    const out = await runSession(this.#sessions.context, 'context', { input_embeds: this.#embeds(ids), ...this.#emptyPast() }, [
      'contextualization',
    ])
    return tensorData(out.contextualization) // (sense, pos, pos)
  }

  createDecoder(): number {
    // a forgotten decoder holds its K/V cache (38 MB at 512 positions, full size): keep the newest
    while (this.#decoders.size >= MAX_DECODERS) this.#decoders.delete(this.#decoders.keys().next().value as number)
    const id = this.#nextDecoder++
    const past = this.#emptyPast()
    this.#decoders.set(id, {
      length: 0,
      keys: past.past_keys,
      values: past.past_values,
      senseKeys: past.past_sense_keys,
      senses: new Float32Array(0),
      capacity: 0,
    })
    return id
  }

  #decoder(decoder: number): DecoderState {
    const state = this.#decoders.get(decoder)
    if (!state)
      throw new WorkbenchError(
        'not-found',
        `decoder ${decoder} does not exist (disposed, or dropped as the oldest of more than ${MAX_DECODERS} live decoders)`,
      )
    return state
  }

  /**
   * Appends tokens to a decoder; returns α rows of the new positions: (sense, n_new, length_after).
   * `senses` ((n_new, sense, d_model), e.g. after vector edits) are kept for decoderCombine.
   */
  async decoderAppend(decoder: number, ids: readonly number[], senses?: Float32Array): Promise<{ alpha: Float32Array; length: number }> {
    const state = this.#decoder(decoder)
    this.checkIds(ids, 'decoder.append', state.length)
    const { numSenses: k, nEmbd: d } = this.config
    if (senses !== undefined && (!(senses instanceof Float32Array) || senses.length !== ids.length * k * d)) {
      throw new WorkbenchError(
        'bad-request',
        `decoder.append: senses must be a Float32Array of (n=${ids.length}, sense=${k}, d_model=${d}) values, got ${senses?.length}`,
      )
    }
    if (ids.length === 0) return { alpha: new Float32Array(0), length: state.length }
    const out = await runSession(this.#sessions.context, 'context', {
      input_embeds: this.#embeds(ids),
      past_keys: state.keys,
      past_values: state.values,
      past_sense_keys: state.senseKeys,
    })
    state.keys = out.present_keys
    state.values = out.present_values
    state.senseKeys = out.present_sense_keys
    if (senses && state.senses) this.#storeSenses(state, senses, ids.length)
    else state.senses = null
    state.length += ids.length
    return { alpha: tensorData(out.contextualization), length: state.length }
  }

  /** Writes (n, sense, d_model) senses at positions length.. of the (sense, capacity, d_model) buffer. */
  #storeSenses(state: DecoderState, senses: Float32Array, n: number): void {
    const { numSenses: k, nEmbd: d, nPositions } = this.config
    const need = state.length + n
    if (need > state.capacity) {
      let capacity = Math.max(DECODER_SENSE_CAPACITY, state.capacity)
      while (capacity < need) capacity *= 2
      capacity = Math.min(capacity, nPositions)
      const grown = new Float32Array(k * capacity * d)
      for (let l = 0; l < k; l++)
        grown.set(state.senses!.subarray(l * state.capacity * d, (l * state.capacity + state.length) * d), l * capacity * d)
      state.senses = grown
      state.capacity = capacity
    }
    const buf = state.senses!
    for (let t = 0; t < n; t++) {
      for (let l = 0; l < k; l++)
        buf.set(senses.subarray((t * k + l) * d, (t * k + l + 1) * d), (l * state.capacity + state.length + t) * d)
    }
  }

  /**
   * Logits of query rows over a decoder's positions from the senses it was given with every
   * append: E · Σ_ℓ Σ_j alphaRows[ℓ, q, j]·scale[ℓ, j]·senses[ℓ, j] — `combine` without
   * shipping (sense, pos, d_model) senses on every step. alphaRows is (sense, nQuery, length) and
   * senseScale (sense, length); the mix runs over the buffer's capacity with α = 0 past the length.
   */
  async decoderCombine(decoder: number, alphaRows: Float32Array, nQuery = 1, senseScale?: Float32Array): Promise<Float32Array> {
    const state = this.#decoder(decoder)
    const { numSenses: k, nEmbd: d } = this.config
    const n = state.length
    if (!state.senses || n === 0)
      throw new WorkbenchError('bad-request', 'decoder.combine needs the senses of every appended token (pass them with each append)')
    if (!Number.isInteger(nQuery) || nQuery < 1 || !(alphaRows instanceof Float32Array) || alphaRows.length !== k * nQuery * n) {
      throw new WorkbenchError(
        'bad-request',
        `decoder.combine: alphaRows must hold (sense=${k}, nQuery=${nQuery}, length=${n}) values, got ${alphaRows?.length}`,
      )
    }
    if (senseScale !== undefined && (!(senseScale instanceof Float32Array) || senseScale.length !== k * n)) {
      throw new WorkbenchError(
        'bad-request',
        `decoder.combine: senseScale must hold (sense=${k}, length=${n}) values, got ${senseScale?.length}`,
      )
    }
    const cap = state.capacity
    const alpha = new Float32Array(k * nQuery * cap) // (sense, query, capacity)
    const scale = new Float32Array(k * cap) // (sense, capacity)
    for (let l = 0; l < k; l++) {
      for (let q = 0; q < nQuery; q++) alpha.set(alphaRows.subarray((l * nQuery + q) * n, (l * nQuery + q + 1) * n), (l * nQuery + q) * cap)
      if (senseScale) scale.set(senseScale.subarray(l * n, (l + 1) * n), l * cap)
      else scale.fill(1, l * cap, l * cap + n)
    }
    const mixed = await runSession(this.#sessions.mix, 'mix', {
      senses: floatTensor(state.senses, [k, cap, d]),
      alpha_rows: floatTensor(alpha, [k, nQuery, cap]),
      sense_scale: floatTensor(scale, [k, cap]),
    })
    const out = await runSession(this.#sessions.lm_head, 'lm_head', { hidden: mixed.hidden })
    return tensorData(out.logits) // (query, vocab)
  }

  /**
   * Drops a decoder's positions from `length` on (keys, values, weight-net keys and kept
   * senses), as if only the first `length` tokens had been appended — e.g. draft tokens that
   * speculative decoding did not accept.
   */
  decoderTruncate(decoder: number, length: number): { length: number } {
    const state = this.#decoder(decoder)
    if (!Number.isInteger(length) || length < 0 || length > state.length) {
      throw new WorkbenchError(
        'bad-request',
        `decoder.truncate: length must be an integer in [0, ${state.length}], got ${JSON.stringify(length)}`,
      )
    }
    if (length === state.length) return { length }
    const cut = (t: OrtTensor, axis: number): OrtTensor => {
      const dims = [...t.dims]
      const outer = dims.slice(0, axis).reduce((a, b) => a * b, 1)
      const inner = dims.slice(axis + 1).reduce((a, b) => a * b, 1)
      const data = tensorData(t)
      const out = new Float32Array(outer * length * inner)
      for (let o = 0; o < outer; o++) out.set(data.subarray(o * dims[axis] * inner, (o * dims[axis] + length) * inner), o * length * inner)
      dims[axis] = length
      return floatTensor(out, dims)
    }
    state.keys = cut(state.keys, 2) // (layer, head, length, head_dim)
    state.values = cut(state.values, 2)
    state.senseKeys = cut(state.senseKeys, 1) // (sense, length, sense_dim)
    if (state.senses) {
      const { numSenses: k, nEmbd: d } = this.config
      for (let l = 0; l < k; l++) state.senses.fill(0, (l * state.capacity + length) * d, (l * state.capacity + state.length) * d)
    }
    state.length = length
    return { length }
  }

  disposeDecoder(decoder: number): void {
    this.#decoders.delete(decoder)
  }

  /** logits of the selected queries from (edited) senses, α rows and an optional scale. */
  async combine(senses: Float32Array, alphaRows: Float32Array, nQuery: number, senseScale?: Float32Array): Promise<Float32Array> {
    const { numSenses: k, nEmbd: d } = this.config
    const T = checkCombineInputs(this.config, senses, alphaRows, nQuery, senseScale)
    if (nQuery === 0) return new Float32Array(0)
    const scale = senseScale ?? new Float32Array(k * T).fill(1)
    const mixed = await runSession(this.#sessions.mix, 'mix', {
      senses: floatTensor(senses, [k, T, d]),
      alpha_rows: floatTensor(alphaRows, [k, nQuery, T]),
      sense_scale: floatTensor(scale, [k, T]),
    })
    const out = await runSession(this.#sessions.lm_head, 'lm_head', { hidden: mixed.hidden })
    return tensorData(out.logits) // (query, vocab)
  }

  async project(vectors: Float32Array, n: number): Promise<Float32Array> {
    const d = this.config.nEmbd
    if (!(vectors instanceof Float32Array) || !Number.isInteger(n) || n < 0 || vectors.length !== n * d) {
      throw new WorkbenchError(
        'bad-request',
        `project: vectors must be a Float32Array of (n=${n}, d_model=${d}) values, got ${vectors?.length}`,
      )
    }
    if (n === 0) return new Float32Array(0)
    const out = await runSession(this.#sessions.lm_head, 'lm_head', { hidden: floatTensor(vectors, [n, d]) })
    return tensorData(out.logits) // (n, vocab)
  }

  embeddingRows(ids: readonly number[]): Float32Array {
    this.checkIds(ids, 'embeddingRows', null)
    return this.#rows(ids)
  }

  #embeds(ids: readonly number[]): OrtTensor {
    return floatTensor(this.#rows(ids), [ids.length, this.config.nEmbd]) // (pos, d_model)
  }

  /** Rows of E read from the data file (page cache), for validated ids. */
  #rows(ids: readonly number[]): Float32Array {
    const rowBytes = this.config.nEmbd * 4
    const out = new Float32Array(ids.length * this.config.nEmbd) // (n, d_model)
    const bytes = new Uint8Array(out.buffer)
    // one read per run of consecutive ids (a vocabulary sweep is a single read)
    for (let i = 0; i < ids.length;) {
      let j = i + 1
      while (j < ids.length && ids[j] === ids[j - 1] + 1) j++
      const want = (j - i) * rowBytes
      let got = 0
      while (got < want) {
        const n = readSync(this.#embFd, bytes, i * rowBytes + got, want - got, this.manifest.embeddingOffset + ids[i] * rowBytes + got)
        if (n === 0)
          throw new WorkbenchError(
            'onnx-model',
            `embedding rows ${ids[i]}..${ids[j - 1]}: the data file ${this.manifest.dataFile} is truncated`,
          )
        got += n
      }
      i = j
    }
    return out
  }

  async forward(ids: readonly number[], positions?: readonly number[], onProgress?: (p: EngineProgress) => void): Promise<ForwardOutputs> {
    this.checkIds(ids, 'forward')
    const T = ids.length
    if (T === 0) throw new WorkbenchError('bad-request', 'forward: ids must not be empty')
    if (positions !== undefined) {
      if (!Array.isArray(positions)) throw new WorkbenchError('bad-request', 'forward: positions must be an array of integers')
      positions.forEach((p, i) => {
        if (!Number.isInteger(p) || p < 0 || p >= T)
          throw new WorkbenchError('bad-request', `forward: positions[${i}] = ${JSON.stringify(p)} is outside [0, ${T})`)
      })
    }
    const { numSenses: k } = this.config
    const timingsMs: Record<string, number> = {}
    let t0 = performance.now()
    const lap = (name: string) => {
      const now = performance.now()
      timingsMs[name] = Math.round((now - t0) * 100) / 100
      t0 = now
    }
    onProgress?.({ phase: 'senses', fraction: 0, message: `sense vectors of ${T} tokens` })
    const senses = await this.promptSenses(ids) // (sense, pos, d_model)
    lap('senses')
    onProgress?.({ phase: 'contextualize', fraction: 0.3, message: 'contextualization network (GPT-2) and sense weights' })
    const contextualization = await this.contextualize(ids) // (sense, pos, pos)
    lap('contextualize')
    onProgress?.({ phase: 'combine', fraction: 0.75, message: 'weighted sense sum and LM head' })
    let alphaRows = contextualization
    const nQuery = positions ? positions.length : T
    if (positions) {
      alphaRows = new Float32Array(k * nQuery * T) // (sense, query, pos)
      for (let l = 0; l < k; l++) {
        positions.forEach((p, q) => alphaRows.set(contextualization.subarray((l * T + p) * T, (l * T + p + 1) * T), (l * nQuery + q) * T))
      }
    }
    const logits = await this.combine(senses, alphaRows, nQuery)
    lap('combine')
    return { logits, senses, contextualization, timingsMs }
  }

  stats(): { sensesComputed: number; senseCacheSize: number; decoders: number } {
    return { sensesComputed: this.#senseCache.computed, senseCacheSize: this.#senseCache.size, decoders: this.#decoders.size }
  }

  dispose(): void {
    this.#decoders.clear()
    this.#senseCache.clear()
    closeSync(this.#embFd)
    for (const g of GRAPH_NAMES) void this.#sessions[g].release()
  }
}

/**
 * Threading per graph: intra-op threads = cores, and no spinning. Each session has its own
 * intra-op pool, and a spinning pool keeps busy-waiting after its run — while the next session
 * (context → senses → LM head in a decode step; mix → LM head in combine) needs the same cores.
 * Measured through the engine API on the 2-core box (same minute, load ~7, A/B alternating
 * processes): generation 5.3–6.5 → 18.6–23.5 tokens/s, forward T=64 560–600 → 240–320 ms,
 * re-run after edits (T=32) 85–91 → 33–79 ms, sense atlas 187–283 → 51–80 ms; results
 * bit-identical (the same kernels run; only how idle threads wait changes).
 * BACKPACK_ORT_SPIN=all restores spinning in every session, and BACKPACK_ORT_THREADS=N (a
 * positive integer) sets the intra-op threads of every session — both for measurements.
 */
export function sessionTuning(_graph: GraphName, env: NodeJS.ProcessEnv = process.env): SessionTuning {
  const tuning: SessionTuning = { spinning: env.BACKPACK_ORT_SPIN === 'all' }
  const threads = env.BACKPACK_ORT_THREADS
  if (threads !== undefined) {
    if (!/^[1-9][0-9]{0,2}$/.test(threads))
      throw new WorkbenchError(
        'bad-request',
        `BACKPACK_ORT_THREADS must be a positive integer (intra-op threads per session), got ${JSON.stringify(threads)}`,
      )
    tuning.threads = Number(threads)
  }
  return tuning
}

async function openSessions(dir: string, provider: string, weights: WeightLayout): Promise<Record<GraphName, OrtSession>> {
  const sessions = {} as Record<GraphName, OrtSession>
  for (const g of GRAPH_NAMES)
    sessions[g] = await createSession(join(dir, GRAPHS[g].file), provider, { ...sessionTuning(g), prepack: weights === 'prepacked' })
  return sessions
}
