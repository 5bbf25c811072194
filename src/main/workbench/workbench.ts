import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { type ApiMethod, type ApiParsedRequest, type ApiResponse } from '../../shared/ipc/api'
import { SAVEABLE_METHODS, type SaveableMethod } from '../../shared/ipc/request-schemas'
import type { AppInfo, ModelInfo } from '../../shared/ipc/api-types'
import { senseEditDocumentSchema } from '../../shared/ipc/edit-schemas'
import { parseRequest } from '../../shared/ipc/parse-request'
import type { ApiHandlers } from '../../shared/ipc/api'
import { handlerRunner } from '../runs/handler-runner'
import type { RunOrigin } from '../runs/record-run'
import { ResponseMemo, type MemoizedResponse } from '../runs/response-memo'
import type { ModelSource } from '../runtime/model-source'
import { resolveCheckpointDir, userDataDir } from '../paths/app-paths'
import { ExperimentStore } from '../store/experiment-store'
import { TokenizerThread } from '../tokenizer/tokenizer-thread'
import { analysisHandlers } from './analysis-handlers'
import { editTieWarnings } from '../senses/edit-tie-warnings'
import { evaluateHandler } from './evaluate-handler'
import { experimentHandlers } from './experiment-handlers'
import { finetuneHandler } from './finetune-handler'
import { forwardHandler } from './forward-handler'
import { generateHandler } from './generate-handler'
import { suiteHandlers } from './suite-handlers'
import { sweepHandlers } from './sweep-handlers'
import { hubHandlers } from './hub-handlers'
import { ModelSession } from '../session/model-session'
import type { ProviderChoice } from '../runtime/select-provider'
import type { WeightLayout } from '../runtime/engine-core'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { readRecentCheckpoints, rememberCheckpoint } from './recent-checkpoints'
import { WorkbenchEvents } from './workbench-events'

/**
 * The app-side service behind both doors (Electron IPC and serve): one object implementing the
 * whole API by composing the engine, the analysis modules and the experiment store. A method that
 * cannot answer (no model loaded) answers `unavailable`; nothing here fabricates a result.
 */
export interface WorkbenchOptions {
  transport: 'electron' | 'http' | 'worker' | 'cli'
  version: string
  /** experiment database (default: experiments.sqlite in the user data directory) */
  databasePath?: string
  /** execution provider every checkpoint loads on (default 'auto') */
  provider?: ProviderChoice
}

export class Workbench {
  readonly events = new WorkbenchEvents()
  readonly #options: WorkbenchOptions
  /** user text is tokenized on this worker thread, never on the one answering requests */
  readonly #tokenizer = new TokenizerThread()
  readonly #runs = new Map<string, AbortController>()
  /** every run in flight, with or without a run id: dispose stops them all */
  readonly #active = new Set<AbortController>()
  #session: ModelSession | null = null
  #loading: Promise<ModelInfo> | null = null
  #store: Promise<ExperimentStore> | null = null
  #handlers: ApiHandlers | null = null
  /** this model session's last answers of saveable calls, so saving one does not compute it again */
  readonly #memo = new ResponseMemo()
  #runtimeVersion: Promise<string> | null = null

  constructor(options: WorkbenchOptions) {
    this.#options = options
  }

  get model(): ModelInfo | null {
    return this.#session?.info ?? null
  }

  /** the loaded model's engine, for a queue worker's internal jobs (rows of a sharded sense table) */
  get engine(): BackpackEngine | null {
    return this.#session?.engine ?? null
  }

  /** The loaded model session (a door may open its sense table ahead, reporting progress its own way). */
  get session(): ModelSession | null {
    return this.#session
  }

  handlers(): ApiHandlers {
    this.#handlers ??= this.#makeHandlers()
    return this.#handlers
  }

  /** One call through the handler table, its request validated as every door validates it (a door without a wire: the CLI). */
  async call<M extends ApiMethod>(method: M, request: unknown): Promise<ApiResponse<M>> {
    const handler = this.handlers()[method] as (r: ApiParsedRequest<M>) => Promise<ApiResponse<M>>
    return handler(parseRequest(method, request))
  }

  #makeHandlers(): ApiHandlers {
    const tokenizer = this.#tokenizer
    const session = () => {
      if (!this.#session)
        throw new WorkbenchError('unavailable', 'no model is loaded: load a checkpoint first (Model view, or serve --checkpoint DIR)')
      return this.#session
    }
    const analysis = { session, tokenizer, events: this.events, track: (runId: string | undefined) => this.#track(runId) }
    const table = this.#table(session, analysis)
    // a saveable call's answer is remembered for this model session (experiments.saveRun saves it as is)
    for (const method of SAVEABLE_METHODS) {
      const run = table[method] as (r: object) => Promise<unknown>
      ;(table as Record<SaveableMethod, unknown>)[method] = async (request: object) => {
        const t0 = performance.now()
        const response = await run(request)
        this.#memo.remember(method, request, { response, totalMs: performance.now() - t0 })
        return response
      }
    }
    return table
  }

  #table(session: () => ModelSession, analysis: Parameters<typeof analysisHandlers>[0]): ApiHandlers {
    const tokenizer = this.#tokenizer
    const answer = async (method: SaveableMethod, request: object): Promise<MemoizedResponse> => {
      const remembered = this.#memo.get(method, request)
      if (remembered) return remembered
      const t0 = performance.now()
      const response = await (this.handlers()[method] as (r: object) => Promise<unknown>)(request)
      return { response, totalMs: performance.now() - t0 }
    }
    return {
      'app.info': async (): Promise<AppInfo> => ({
        version: this.#options.version,
        transport: this.#options.transport,
        model: this.model,
      }),
      'model.info': async () => this.model,
      'model.load': async ({ checkpoint, runId }) => this.load(checkpoint, runId),
      'model.recent': async () => ({ checkpoints: await readRecentCheckpoints() }),
      'model.selfCheck': async ({ runId }) => {
        const s = session()
        const run = this.#track(runId)
        try {
          // loaded on first use (the references and their comparison): no other method needs them
          const { paritySelfCheck } = await import('./parity-self-check')
          return await paritySelfCheck(s.engine, s.info.checkpointDir, {
            signal: run.signal,
            onProgress: (p) => runId && this.events.emit('run.progressed', { runId, method: 'model.selfCheck', ...p }),
          })
        } finally {
          run.done()
        }
      },
      ...hubHandlers(this.events, (dir) => this.load(dir)),
      'tokens.encode': async ({ text }) => ({ tokens: await tokenizer.promptTokens(text) }),
      'edits.validate': async ({ document }) => {
        // without a model only the structure can be checked; with one, tokens and senses too
        const res = senseEditDocumentSchema.safeParse(document)
        if (!res.success) {
          const issue = res.error.issues[0]
          throw new WorkbenchError('edit-invalid', `sense-edit document: ${issue.path.join('.') || '(document)'}: ${issue.message}`)
        }
        const session = this.#session
        if (!session) return { document: res.data }
        const parsed = await session.parseEdits(res.data)
        const warnings = editTieWarnings(parsed.edits, await session.tiedTokens())
        return { document: parsed.document, ...(warnings.length > 0 ? { warnings } : {}) }
      },
      ...analysisHandlers(analysis),
      ...forwardHandler(analysis),
      ...generateHandler(analysis),
      ...suiteHandlers(analysis),
      ...finetuneHandler(analysis),
      ...evaluateHandler(analysis),
      ...sweepHandlers({ store: () => this.#openStore(), model: () => this.model }),
      ...experimentHandlers({
        store: () => this.#openStore(),
        session: () => this.#session,
        origin: async () => {
          const s = session()
          return { ...(await this.origin()), source: s.info.checkpointDir, config: { ...s.engine.config } }
        },
        answer,
        runner: async () => (this.#session ? handlerRunner(this.handlers(), await this.origin()) : undefined),
      }),
      'run.cancel': async ({ runId }) => {
        const run = this.#runs.get(runId)
        run?.abort()
        return { cancelled: run !== undefined }
      },
    }
  }

  /** Where a run made now is made: app and runtime versions, the provider in use, the checkpoint's content hash. */
  async origin(): Promise<RunOrigin & { checkpoint: string }> {
    const s = this.#session
    if (!s) throw new WorkbenchError('unavailable', 'no model is loaded: load a checkpoint first (Model view, or serve --checkpoint DIR)')
    this.#runtimeVersion ??= s.engine.runtimeInfo().then((r) => `onnxruntime-node ${r.onnxruntime}`)
    return {
      appVersion: this.#options.version,
      runtimeVersion: await this.#runtimeVersion,
      executionProvider: s.engine.provider.name,
      checkpoint: s.engine.contentHash,
    }
  }

  /** Loads a checkpoint (default: the bundled demo), replacing the current model. */
  async load(checkpoint?: string, runId?: string): Promise<ModelInfo> {
    const dir = resolveCheckpointDir(checkpoint)
    return this.open({ checkpointDir: dir }, { runId, remember: true })
  }

  /**
   * Opens a model source (a checkpoint or an ONNX export) on a provider, replacing the current
   * model; `remember` adds it to the recent checkpoints (the app's and serve's loads do).
   * `weights`: 'prepacked' (the default: packed for the CPU kernels at open, for a long-lived
   * model) or 'mapped' (memory-mapped from the conversion cache: opens several times faster, for
   * one-shot work such as the CLI's `forward`; same results). `opening`: the session of `source`
   * already being opened by the caller (the CLI starts it before this module has loaded, so
   * the model opens on its worker while the handler table loads); it has no tokenizer thread.
   */
  async open(
    source: ModelSource,
    options: { runId?: string; provider?: string; weights?: WeightLayout; remember?: boolean; opening?: Promise<ModelSession> } = {},
  ): Promise<ModelInfo> {
    const { runId } = options
    if (this.#loading) await this.#loading.catch(() => undefined)
    const run = this.#track(runId)
    const task = (async () => {
      this.events.emit('model.progressed', { runId: runId ?? null, phase: 'open', done: 0, total: 1 })
      const next = await (options.opening ??
        ModelSession.open(source, {
          tokenizer: this.#tokenizer,
          signal: run.signal,
          ...((options.provider ?? this.#options.provider) !== undefined ? { provider: options.provider ?? this.#options.provider } : {}),
          ...(options.weights !== undefined ? { weights: options.weights } : {}),
          onProgress: (p) => this.events.emit('model.progressed', { runId: runId ?? null, phase: p.phase, done: p.fraction, total: 1 }),
        }))
      const previous = this.#session
      this.#session = next
      this.#memo.clear()
      this.#runtimeVersion = null
      await previous?.dispose()
      if (options.remember && 'checkpointDir' in source) await rememberCheckpoint(source.checkpointDir).catch(() => undefined)
      this.events.emit('model.loaded', { model: next.info })
      return next.info
    })()
    this.#loading = task
    try {
      return await task
    } finally {
      run.done()
      if (this.#loading === task) this.#loading = null
    }
  }

  /** At app start: the last checkpoint used if it still loads, else the bundled demo. */
  async openDefault(): Promise<void> {
    for (const dir of [...(await readRecentCheckpoints()).slice(0, 1), undefined]) {
      try {
        await this.load(dir)
        return
      } catch {
        // try the next candidate; the Model view shows what is loaded (or nothing)
      }
    }
  }

  async dispose(): Promise<void> {
    for (const run of this.#active) run.abort()
    this.#active.clear()
    this.#runs.clear()
    await this.#session?.dispose()
    this.#session = null
    this.#memo.clear()
    await this.#tokenizer.dispose()
    const store = this.#store
    this.#store = null
    if (store) await (await store.catch(() => null))?.close()
  }

  #openStore(): Promise<ExperimentStore> {
    if (!this.#store) {
      const p = ExperimentStore.open(this.#options.databasePath ?? join(userDataDir(), 'experiments.sqlite'))
      this.#store = p
      p.catch(() => {
        if (this.#store === p) this.#store = null
      })
    }
    return this.#store
  }

  #track(runId: string | undefined): { signal: AbortSignal; done: () => void } {
    const ctrl = new AbortController()
    this.#active.add(ctrl)
    if (runId) {
      this.#runs.get(runId)?.abort()
      this.#runs.set(runId, ctrl)
    }
    return {
      signal: ctrl.signal,
      done: () => {
        this.#active.delete(ctrl)
        if (runId && this.#runs.get(runId) === ctrl) this.#runs.delete(runId)
      },
    }
  }
}
