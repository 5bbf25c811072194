import { resolve } from 'node:path'
import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { ModelInfo } from '../../shared/ipc/api-types'
import { analysisRunner, parseSenseEditsFor } from '../interventions/apply-sense-edits'
import type { InterventionRunner } from '../interventions/intervention-runner'
import { demoCheckpointDir } from '../paths/app-paths'
import type { ModelSource } from '../runtime/model-source'
import { openEngine, type OpenEngineOptions } from '../runtime/open-engine'
import type { WorkerEngine } from '../runtime/worker-engine'
import { loadTiedTokens } from '../senses/load-tied-tokens'
import type { TiesOption } from '../senses/sense-atlas'
import type { TiedTokens, TiesMode } from '../senses/tied-tokens'
import { SenseTables, type OpenSenseTableOptions, type SenseTable } from '../senses/sense-table'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { promptIds } from '../tokenizer/prompt-ids'
import type { TokenizerThread } from '../tokenizer/tokenizer-thread'

/**
 * One loaded model and everything kept for it: the engine (its worker holds the ONNX sessions,
 * the one cache of sense vectors C(x) by token id and the helper sessions — the re-base Gemm, the
 * score extremes, the int8 scoring), the intervention runner (α, edited-vector and re-run caches),
 * the whole-vocabulary sense tables and, with each table, its int8 index (senses/int8-index.ts). Every door (the app,
 * `serve`, the CLI) gets one of these per loaded checkpoint; `dispose` frees it all. Progress and
 * cancellation are options of each call, never fixed by the first one.
 */
export class ModelSession {
  readonly engine: WorkerEngine
  readonly runner: InterventionRunner
  readonly tables: SenseTables
  readonly source: ModelSource
  readonly info: ModelInfo
  readonly #tokenizer: TokenizerThread | null
  #disposed: Promise<void> | null = null
  #tied: Promise<TiedTokens> | null = null

  private constructor(engine: WorkerEngine, source: ModelSource, tokenizer: TokenizerThread | null) {
    this.engine = engine
    this.#tokenizer = tokenizer
    this.source = source
    this.tables = new SenseTables(engine)
    this.runner = analysisRunner(engine, this.tables)
    const dir = 'checkpointDir' in source ? source.checkpointDir : source.onnxDir
    const { name, requested, available, reason } = engine.provider
    this.info = {
      checkpointDir: dir,
      contentHash: engine.contentHash,
      config: { ...engine.config },
      provider: { name, requested, available: [...available], ...(reason ? { reason } : {}) },
      loadedAt: new Date().toISOString(),
      bundledDemo: 'checkpointDir' in source && resolve(source.checkpointDir) === resolve(demoCheckpointDir()),
    }
  }

  /**
   * Opens the engine (converting the checkpoint once, cached) on the chosen provider. With
   * `tokenizer` (the doors that answer many requests: serve, the app), `encode` tokenizes on that
   * worker thread; without it (the CLI, one request per process), on the calling thread.
   */
  static async open(
    source: ModelSource,
    options: Pick<OpenEngineOptions, 'provider' | 'signal' | 'onProgress' | 'weights'> & { tokenizer?: TokenizerThread } = {},
  ): Promise<ModelSession> {
    const { tokenizer, ...engineOptions } = options
    const engine = await openEngine({ ...source, ...engineOptions })
    return new ModelSession(engine, source, tokenizer ?? null)
  }

  /**
   * The whole-vocabulary sense table (built once per checkpoint, cached on disk, resumable),
   * kept in memory for this session. `onProgress` and `signal` are this call's: a call that
   * finds the table ready reports nothing; aborting stops this call (and the build it runs;
   * finished chunks stay on disk, and the next call resumes).
   */
  senseTable(options: Pick<OpenSenseTableOptions, 'need' | 'signal' | 'onProgress'> = {}): Promise<SenseTable> {
    return this.tables.open(options)
  }

  /**
   * Tokens whose embedding rows are bit-identical (and, where the checkpoint ships unigram counts,
   * those never seen in training): found once per session from E, on first use.
   */
  tiedTokens(): Promise<TiedTokens> {
    this.#tied ??= loadTiedTokens(this.engine, 'checkpointDir' in this.source ? this.source.checkpointDir : null).catch((e: unknown) => {
      this.#tied = null
      throw e
    })
    return this.#tied
  }

  /** The `ties` option of the atlas, neighbours and reverse lookup: the tied tokens only when collapsing (finding them costs a read of E). */
  async tiesOption(mode: TiesMode): Promise<TiesOption | undefined> {
    return mode === 'collapse' ? { tied: await this.tiedTokens(), mode } : undefined
  }

  /**
   * Validates an edit document against this model and resolves its tokens. With a tokenizer
   * thread (serve, the app) the document's strings are tokenized there first, in one batch, so a
   * topic edit of 10,000 long words does not hold the thread that answers other requests.
   */
  async parseEdits(document: unknown): Promise<ParsedSenseEdits> {
    if (!this.#tokenizer) return parseSenseEditsFor(this.engine, document).edits
    const texts = [...documentStrings(document)]
    const ids = await this.#tokenizer.encodeMany(texts)
    const resolved = new Map(texts.map((t, i) => [t, ids[i]]))
    const fallback = gpt2Tokenizer()
    return parseSenseEditsFor(this.engine, document, (t) => resolved.get(t) ?? fallback.encode(t)).edits
  }

  /**
   * Token ids of a prompt, refusing what the model cannot take (typed `bad-request` / `too-long`
   * past `max`, by default the model's positions; Infinity tokenizes it all, for a caller that truncates).
   */
  async encode(text: string, max = this.engine.config.nPositions): Promise<number[]> {
    return this.#tokenizer ? this.#tokenizer.promptIds(text, max) : promptIds(text, max)
  }

  /** Frees the engine and its worker (model and helper sessions, the sense cache) and lets go of the tables. */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      this.tables.clear()
      await this.engine.dispose()
    })()
    return this.#disposed
  }
}

/** Every string value in a (validated, size-bounded) edit document: the token strings it may name. */
function documentStrings(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === 'string') out.add(value)
  else if (Array.isArray(value)) for (const v of value) documentStrings(v, out)
  else if (value && typeof value === 'object') for (const v of Object.values(value)) documentStrings(v, out)
  return out
}
