import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import { resolve } from 'node:path'
import type { ModelInfo } from '../../shared/ipc/api-types'
import { analysisRunner, parseSenseEditsFor } from '../interventions/apply-sense-edits'
import type { InterventionRunner } from '../interventions/intervention-runner'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { demoCheckpointDir } from '../paths/app-paths'
import { openEngine } from '../runtime/open-engine'
import { openSenseTable, type SenseTable, type SenseTableProgress } from '../senses/sense-table'
import { promptIds } from '../tokenizer/prompt-ids'

/**
 * One loaded checkpoint: the engine (ONNX sessions in the runtime's worker), its intervention
 * runner (α and edited-vector caches) and, on first need, the whole-vocabulary sense table.
 */
export class ModelSession {
  readonly engine: BackpackEngine
  readonly runner: InterventionRunner
  readonly info: ModelInfo
  #table: Promise<SenseTable> | null = null

  private constructor(engine: BackpackEngine, checkpointDir: string) {
    this.engine = engine
    // the engine's shared runner (α and edited-vector caches); topic edits build their table there
    this.runner = analysisRunner(engine)
    const { name, requested, available, reason } = engine.provider
    this.info = {
      checkpointDir,
      contentHash: engine.contentHash,
      config: { ...engine.config },
      provider: { name, requested, available: [...available], ...(reason ? { reason } : {}) },
      loadedAt: new Date().toISOString(),
      bundledDemo: resolve(checkpointDir) === resolve(demoCheckpointDir()),
    }
  }

  static async open(checkpointDir: string, options: { signal?: AbortSignal; onProgress?: (phase: string, fraction: number) => void } = {}): Promise<ModelSession> {
    const engine = await openEngine({
      checkpointDir,
      signal: options.signal,
      onProgress: (p) => options.onProgress?.(p.phase, p.fraction),
    })
    return new ModelSession(engine, checkpointDir)
  }

  /**
   * The whole-vocabulary sense table (built once per checkpoint, cached on disk, resumable).
   * Progress goes to `onProgress` of the call that started the build; aborting its signal stops
   * the build (finished chunks stay on disk) and the next call resumes it.
   */
  senseTable(onProgress?: (p: SenseTableProgress) => void, signal?: AbortSignal): Promise<SenseTable> {
    if (!this.#table) {
      const p = openSenseTable(this.engine, { signal, onProgress })
      this.#table = p
      p.catch(() => {
        if (this.#table === p) this.#table = null
      })
    }
    return this.#table
  }

  /** Validates an edit document against this model and resolves its tokens. */
  parseEdits(document: unknown): ParsedSenseEdits {
    return parseSenseEditsFor(this.engine, document).edits
  }

  /**
   * Token ids of a prompt, refusing what the model cannot take: blank or non-UTF-8 text
   * (`bad-request`), and more tokens than positions (`too-long`, decided before tokenizing what
   * cannot fit, so a hostile text costs milliseconds).
   */
  encode(text: string): number[] {
    return promptIds(text, this.engine.config.nPositions)
  }

  dispose(): Promise<void> {
    return this.engine.dispose()
  }
}
