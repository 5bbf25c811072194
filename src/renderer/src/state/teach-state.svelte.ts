import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import { FINETUNE_DEFAULTS, isPairLoss, type FinetuneLoss } from '../../../shared/finetune/finetune-settings'
import type { FinetuneEpochFigures, FinetuneResponse } from '../../../shared/ipc/api-types'
import type { ApiClient } from '../lib/api-client'

/** The settings of the Teach form; `maxDegradation` null means no degradation ball. */
export interface TeachSettings {
  loss: FinetuneLoss
  sensesPerExample: number
  lambda: number
  lr: number
  klWeight: number
  epochs: number
  maxDegradation: number | null
  seed: number
}

/** What "Save as experiment" stored: the experiment holding the learned edit document. */
export interface SavedTeach {
  id: number
  name: string
}

/**
 * The Teach view's state: canonical examples (JSON lines, typed, pasted or imported from a
 * `.jsonl` file), the settings, a `finetune.run` with its live per-epoch figures and cancel, and
 * what to do with the result — add its add-sense edits to the current edit list, or save its edit
 * document as an experiment (`experiments.save`: a fine-tuning result is an edit document, not a
 * replayable run).
 */
export class TeachState {
  examples = $state('')
  /** general text for the KL term and the ball; empty: the bundled demo's held-out text */
  background = $state('')
  settings = $state<TeachSettings>({ loss: 'nll', ...FINETUNE_DEFAULTS, maxDegradation: 1e-3 })
  #result = $state.raw<FinetuneResponse | null>(null)
  #history = $state.raw<FinetuneEpochFigures[]>([])
  #error = $state.raw<ErrorInfo | null>(null)
  #running = $state(false)
  #saved = $state.raw<SavedTeach | null>(null)
  #added = $state(false)
  #runId: string | null = null
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
    client.on('finetune.progressed', (p) => {
      if (p.runId === this.#runId) this.#history = [...this.#history, p.figures]
    })
  }

  get result() {
    return this.#result
  }
  /** the epochs reported so far (live while running; the whole run after) */
  get history() {
    return this.#history
  }
  get error() {
    return this.#error
  }
  get running() {
    return this.#running
  }
  get saved() {
    return this.#saved
  }
  /** the result's edits were added to the edit list */
  get added() {
    return this.#added
  }
  /** the field names each example line takes for the chosen loss */
  get fields(): string[] {
    return isPairLoss(this.settings.loss) ? ['prefix', 'suffix1', 'suffix2'] : ['prefix', 'suffix']
  }

  /** Reads an imported `.jsonl` file into the examples (replacing them). */
  async importFile(file: Blob): Promise<void> {
    this.examples = await file.text()
  }

  async run(): Promise<void> {
    if (this.#running) return
    const runId = `finetune-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`
    const { maxDegradation, ...rest } = this.settings
    this.#runId = runId
    this.#running = true
    this.#history = []
    this.#error = null
    this.#saved = null
    this.#added = false
    const res = await this.#client.call('finetune.run', {
      examples: this.examples,
      ...rest,
      ...(maxDegradation !== null ? { maxDegradation } : {}),
      ...(this.background.trim() !== '' ? { background: this.background } : {}),
      runId,
    })
    if (this.#runId !== runId) return
    this.#runId = null
    this.#running = false
    if (res.ok) {
      this.#result = res.value
      this.#history = res.value.history
    } else {
      this.#result = null
      this.#error = res.error
    }
  }

  async cancel(): Promise<void> {
    if (this.#runId) await this.#client.call('run.cancel', { runId: this.#runId })
  }

  /** Appends the learned add-sense edits to the current edit list (through its own `add`). */
  addTo(edits: { add(edit: SenseEditDocument['edits'][number]): void }): void {
    const doc = this.#result?.document
    if (!doc || this.#added) return
    for (const e of doc.edits) edits.add(e)
    this.#added = true
  }

  /** Saves the learned edit document as a new experiment; the notes record the settings and the figures. */
  async saveAsExperiment(name: string): Promise<boolean> {
    const r = this.#result
    if (!r?.document) return false
    const after = r.after!
    const notes = [
      `Sense fine-tuning (${r.loss}) on ${r.examples.length} canonical example(s); epoch kept ${r.epochKept} of ${r.history.length}.`,
      `Settings: ${JSON.stringify(this.settings)}. Background: ${r.background.source}.`,
      `Canonical loss ${r.before.canonicalLoss.toFixed(4)} → ${after.canonicalLoss.toFixed(4)}; background NLL ${r.before.backgroundNll.toFixed(5)} → ${after.backgroundNll.toFixed(5)}.`,
      `Senses: ${r.selected.map((s) => `${JSON.stringify(s.text)}#${s.sense}`).join(', ')}.`,
    ].join('\n')
    const res = await this.#client.call('experiments.save', { name, edits: { ...r.document, name }, notes, tags: ['finetune'] })
    if (!res.ok) {
      this.#error = res.error
      return false
    }
    this.#saved = { id: res.value.id, name: res.value.name }
    return true
  }
}
