import type { ErrorInfo } from '../../../shared/errors'
import type { ApiRequest, ApiResponse } from '../../../shared/ipc/api'
import type { SweepMeta, SweepProgress } from '../../../shared/sweep/sweep-view'
import type { ApiClient } from '../lib/api-client'
import { formatHash } from './route-state.svelte'

type Settings = Pick<Storage, 'getItem' | 'setItem'>
const KEY = 'backpack.sweeps'

/**
 * The Sweeps view's state: the Redis URL and queue (remembered), the queue's sweeps, the selected
 * sweep's live counts (polled while it has work left), submit and cancel. Every read of a sweep
 * records its finished jobs in the experiment log, so opening the view catches up on results that
 * finished while the app was closed.
 */
export class SweepsState {
  #redis = $state('redis://127.0.0.1:6379')
  #queue = $state('backpack-sweeps')
  #sweeps = $state.raw<SweepMeta[]>([])
  #selected = $state<string | null>(null)
  #status = $state.raw<SweepProgress | null>(null)
  #error = $state.raw<ErrorInfo | null>(null)
  #busy = $state(false)
  #caughtUp = $state(0)
  #timer: ReturnType<typeof setTimeout> | null = null
  readonly #client: ApiClient
  readonly #settings: Settings | null
  readonly #pollMs: number

  constructor(client: ApiClient, settings: Settings | null = null, pollMs = 1000) {
    this.#client = client
    this.#settings = settings
    this.#pollMs = pollMs
    try {
      const saved = JSON.parse(settings?.getItem(KEY) ?? 'null') as { redis?: unknown; queue?: unknown } | null
      if (typeof saved?.redis === 'string') this.#redis = saved.redis
      if (typeof saved?.queue === 'string') this.#queue = saved.queue
    } catch {
      // unreadable settings: the defaults
    }
  }

  get redis() {
    return this.#redis
  }
  set redis(v: string) {
    this.#redis = v
    this.#save()
  }
  get queue() {
    return this.#queue
  }
  set queue(v: string) {
    this.#queue = v
    this.#save()
  }
  get sweeps() {
    return this.#sweeps
  }
  get selected() {
    return this.#selected
  }
  get status() {
    return this.#status
  }
  get error() {
    return this.#error
  }
  get busy() {
    return this.#busy
  }
  /** results recorded by the last refresh that had finished while nobody was looking */
  get caughtUp() {
    return this.#caughtUp
  }
  /** whether the selected sweep still has jobs waiting or running */
  get running(): boolean {
    const c = this.#status?.counts
    return !!c && c.waiting + c.active > 0
  }
  /** the Compare view with every experiment the selected sweep has produced so far */
  get compareHref(): string | null {
    const ids = this.#status?.experiments.map((e) => e.experimentId) ?? []
    return ids.length > 0 ? formatHash({ view: 'compare', params: { ids: ids.join(',') } }) : null
  }

  /** Lists the queue's sweeps and reads each (recording finished jobs: the catch-up). */
  async refresh(): Promise<void> {
    const listed = await this.#call('sweeps.list', { redis: this.#redis, queue: this.#queue })
    if (!listed) return
    this.#sweeps = listed.sweeps
    let recorded = 0
    for (const s of listed.sweeps) {
      const st = await this.#call('sweeps.status', { redis: this.#redis, queue: this.#queue, sweepId: s.sweepId })
      if (!st) return
      recorded += st.recorded
      if (s.sweepId === this.#selected) this.#status = st
    }
    this.#caughtUp = recorded
    if (this.#selected && !listed.sweeps.some((s) => s.sweepId === this.#selected)) this.select(null)
    this.#schedule()
  }

  select(sweepId: string | null): void {
    this.#selected = sweepId
    this.#status = null
    this.#stop()
    if (sweepId) void this.poll()
  }

  /** Reads the selected sweep now (and again after pollMs while it has work left). */
  async poll(): Promise<void> {
    const id = this.#selected
    if (!id) return
    const st = await this.#call('sweeps.status', { redis: this.#redis, queue: this.#queue, sweepId: id })
    if (this.#selected !== id) return
    if (st) this.#status = st
    this.#schedule()
  }

  async submit(document: Record<string, unknown>): Promise<boolean> {
    this.#busy = true
    try {
      const meta = await this.#call('sweeps.submit', { redis: this.#redis, queue: this.#queue, document })
      if (!meta) return false
      this.#sweeps = [meta, ...this.#sweeps.filter((s) => s.sweepId !== meta.sweepId)]
      this.select(meta.sweepId)
      return true
    } finally {
      this.#busy = false
    }
  }

  async cancel(): Promise<void> {
    const id = this.#selected
    if (!id) return
    this.#busy = true
    try {
      if (await this.#call('sweeps.cancel', { redis: this.#redis, queue: this.#queue, sweepId: id })) await this.poll()
    } finally {
      this.#busy = false
    }
  }

  dispose(): void {
    this.#stop()
  }

  #schedule(): void {
    this.#stop()
    if (this.running) this.#timer = setTimeout(() => void this.poll(), this.#pollMs)
  }

  #stop(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }

  async #call<M extends 'sweeps.list' | 'sweeps.status' | 'sweeps.submit' | 'sweeps.cancel'>(
    method: M,
    request: ApiRequest<M>,
  ): Promise<ApiResponse<M> | null> {
    const res = await this.#client.call(method, request)
    this.#error = res.ok ? null : res.error
    if (!res.ok) this.#stop()
    return res.ok ? res.value : null
  }

  #save(): void {
    try {
      this.#settings?.setItem(KEY, JSON.stringify({ redis: this.#redis, queue: this.#queue }))
    } catch {
      // storage full or disabled: the setting lives for this session
    }
  }
}
