import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import type { ApiResponse } from '../../../shared/ipc/api'
import type { SaveableMethod } from '../../../shared/ipc/request-schemas'
import type { ExperimentSummary } from '../../../shared/store/experiment-types'
import type { ApiClient } from '../lib/api-client'
import { sameEdits } from '../lib/same-edits'

/** At most this many experiments are read to find those whose edits match (newest first). */
const CANDIDATES_READ = 100

/**
 * "Save as experiment" for one view: records the exact request the view just ran
 * (`experiments.saveRun`) in a new experiment or in an existing one whose edits are the same.
 */
export class SaveRunState {
  #matching = $state.raw<ExperimentSummary[]>([])
  #saved = $state.raw<ApiResponse<'experiments.saveRun'> | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #busy = $state(false)
  #seq = 0
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
  }

  /** experiments whose edits equal those of the request to save */
  get matching() {
    return this.#matching
  }
  /** the experiment and run the last save produced */
  get saved() {
    return this.#saved
  }
  get error() {
    return this.#error
  }
  get busy() {
    return this.#busy
  }

  /** Finds the experiments a run with these edits (none: a baseline) can be added to. */
  async findMatching(edits: SenseEditDocument | undefined): Promise<void> {
    const seq = ++this.#seq
    const list = await this.#client.call('experiments.list', { limit: CANDIDATES_READ })
    if (seq !== this.#seq) return
    if (!list.ok) {
      this.#error = list.error
      return
    }
    const count = edits?.edits.length ?? 0
    const out: ExperimentSummary[] = []
    for (const e of list.value.items.filter((x) => x.editCount === count)) {
      const full = await this.#client.call('experiments.get', { id: e.id })
      if (seq !== this.#seq) return
      if (full.ok && sameEdits(full.value.edits, edits)) out.push(e)
    }
    this.#matching = out
  }

  /** Saves `request` (the exact request `method` just answered) as a run of a new experiment `name` or of experiment `experimentId`. */
  async save(
    method: SaveableMethod,
    request: Record<string, unknown>,
    to: { name: string } | { experimentId: number },
    notes = '',
  ): Promise<boolean> {
    this.#busy = true
    const res = await this.#client.call('experiments.saveRun', { method, request, ...to, notes, tags: [] })
    this.#busy = false
    if (res.ok) {
      this.#saved = res.value
      this.#error = null
      return true
    }
    this.#error = res.error
    return false
  }

  /** Forgets the last save (its request is no longer the view's). */
  reset(): void {
    this.#saved = null
    this.#error = null
  }
}
