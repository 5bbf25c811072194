import type { SenseEditDocument } from '../../../shared/edits/sense-edits'
import type { ErrorInfo } from '../../../shared/errors'
import type { ExperimentComparison, ExportedTable } from '../../../shared/ipc/api-types'
import type { ExperimentSummary } from '../../../shared/store/experiment-types'
import type { ExportedRunArrays } from '../../../shared/store/run-array-types'
import type { ApiClient } from '../lib/api-client'

/** The experiment library (list, search, save, fork, tag) and the comparison of a selection. */
export class ExperimentsState {
  #items = $state.raw<ExperimentSummary[]>([])
  #total = $state(0)
  #comparison = $state.raw<ExperimentComparison | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #selected = $state.raw<number[]>([])
  search = $state('')
  tag = $state('')
  offset = $state(0)
  readonly pageSize = 50
  readonly #client: ApiClient

  constructor(client: ApiClient) {
    this.#client = client
  }

  get items() {
    return this.#items
  }
  get total() {
    return this.#total
  }
  get comparison() {
    return this.#comparison
  }
  get error() {
    return this.#error
  }
  get selected() {
    return this.#selected
  }

  toggleSelected(id: number): void {
    this.#selected = this.#selected.includes(id) ? this.#selected.filter((x) => x !== id) : [...this.#selected, id]
  }

  async refresh(): Promise<void> {
    const res = await this.#client.call('experiments.list', {
      ...(this.search ? { search: this.search } : {}),
      ...(this.tag ? { tag: this.tag } : {}),
      limit: this.pageSize,
      offset: this.offset,
    })
    if (res.ok) {
      this.#items = res.value.items
      this.#total = res.value.total
      this.#error = null
    } else this.#error = res.error
  }

  async save(
    name: string,
    edits: SenseEditDocument,
    options: { notes?: string; tags?: string[]; prompt?: string } = {},
  ): Promise<ExperimentSummary | null> {
    const res = await this.#client.call('experiments.save', { name, edits, ...options })
    if (!res.ok) {
      this.#error = res.error
      return null
    }
    await this.refresh()
    return res.value
  }

  async fork(id: number, name?: string): Promise<ExperimentSummary | null> {
    const res = await this.#client.call('experiments.fork', name ? { id, name } : { id })
    if (!res.ok) {
      this.#error = res.error
      return null
    }
    await this.refresh()
    return res.value
  }

  async update(id: number, patch: { name?: string; notes?: string; tags?: string[]; edits?: SenseEditDocument }): Promise<boolean> {
    const res = await this.#client.call('experiments.update', { id, ...patch })
    if (!res.ok) this.#error = res.error
    else await this.refresh()
    return res.ok
  }

  async remove(id: number): Promise<boolean> {
    const res = await this.#client.call('experiments.delete', { id })
    if (!res.ok) this.#error = res.error
    else {
      this.#selected = this.#selected.filter((x) => x !== id)
      await this.refresh()
    }
    return res.ok
  }

  async load(id: number): Promise<SenseEditDocument | null> {
    const res = await this.#client.call('experiments.get', { id })
    if (!res.ok) {
      this.#error = res.error
      return null
    }
    return res.value.edits
  }

  async compare(ids: number[], diffOnly: boolean): Promise<void> {
    const res = await this.#client.call('experiments.compare', { ids, diffOnly })
    if (res.ok) {
      this.#comparison = res.value
      this.#error = null
    } else this.#error = res.error
  }

  async exportTable(ids: number[], diffOnly: boolean, format: 'csv' | 'md' | 'latex' | 'json'): Promise<ExportedTable | null> {
    const res = await this.#client.call('experiments.exportTable', { ids, diffOnly, format })
    if (!res.ok) {
      this.#error = res.error
      return null
    }
    return res.value
  }

  /** A run's arrays as a .npz (numpy), to download. */
  async exportArrays(runId: number): Promise<ExportedRunArrays | null> {
    const res = await this.#client.call('experiments.exportArrays', { runId })
    if (!res.ok) {
      this.#error = res.error
      return null
    }
    return res.value
  }
}
