import { Worker } from 'node:worker_threads'
import { WorkbenchError } from '../../shared/errors'
import type { PromptToken } from '../../shared/ipc/api-types'
import type { TokenizerRequest, TokenizerResponse } from './tokenizer-protocol'
import { startWorkerEntry } from '../paths/worker-entry'

type Unsent = TokenizerRequest extends infer R ? (R extends TokenizerRequest ? Omit<R, 'id'> : never) : never
type Pending = { resolve: (v: TokenizerResponse & { ok: true }) => void; reject: (e: Error) => void }

/** The tokenizer's worker thread (entry resolution: paths/worker-entry.ts). */
function startWorker(): Worker {
  return startWorkerEntry('tokenizer-worker', import.meta.url)
}

/**
 * GPT-2 tokenization of user text on a worker thread of its own, so that a long or hostile string
 * never holds up the thread that answers other requests. Started on first use (a door that never
 * tokenizes starts nothing), kept while requests come, and restarted after a crash; it does not
 * keep the process alive while idle. Answers and typed errors are those of the synchronous
 * `promptIds` / `encodePrompt`.
 */
export class TokenizerThread {
  #worker: Worker | null = null
  readonly #pending = new Map<number, Pending>()
  #nextId = 0

  /** `promptIds(text, maxTokens, what)` (prompt-ids.ts), off this thread. */
  async promptIds(text: string, maxTokens: number, what?: string): Promise<number[]> {
    const res = await this.#request({ op: 'prompt-ids', text, maxTokens, ...(what !== undefined ? { what } : {}) })
    return res.value as number[]
  }

  /** `encodePrompt` (each token with its character span) of the whole text, off this thread. */
  async promptTokens(text: string): Promise<PromptToken[]> {
    const res = await this.#request({ op: 'prompt-tokens', text })
    return res.value as PromptToken[]
  }

  /** The token ids of each text (plain GPT-2 encoding, as edit documents' token strings are resolved), off this thread. */
  async encodeMany(texts: string[]): Promise<number[][]> {
    if (!Array.isArray(texts) || texts.some((t) => typeof t !== 'string'))
      throw new WorkbenchError('bad-request', 'texts to tokenize must be strings')
    const res = await this.#request({ op: 'encode-many', texts })
    return res.value as number[][]
  }

  /** Stops the worker; requests in flight are refused with `cancelled`. A later request starts a new one. */
  async dispose(): Promise<void> {
    const worker = this.#worker
    this.#worker = null
    this.#failAll(new WorkbenchError('cancelled', 'the tokenizer was stopped'))
    if (worker) await worker.terminate()
  }

  #request(req: Unsent): Promise<TokenizerResponse & { ok: true }> {
    if (req.op !== 'encode-many' && typeof req.text !== 'string')
      return Promise.reject(new WorkbenchError('bad-request', 'text to tokenize must be a string'))
    const worker = this.#ensureWorker()
    const id = this.#nextId++
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject })
      worker.ref() // keep the process up until the answer arrives
      worker.postMessage({ ...req, id } as TokenizerRequest)
    })
  }

  #ensureWorker(): Worker {
    if (this.#worker) return this.#worker
    const worker = startWorker()
    worker.unref()
    worker.on('message', (msg: TokenizerResponse) => {
      const p = this.#pending.get(msg.id)
      if (!p) return
      this.#pending.delete(msg.id)
      if (this.#pending.size === 0) worker.unref()
      if (msg.ok) p.resolve(msg)
      else p.reject(new WorkbenchError(msg.error.code, msg.error.message))
    })
    const gone = (why: string, cause?: unknown) => {
      if (this.#worker !== worker) return
      this.#worker = null
      this.#failAll(new WorkbenchError('runtime', `the tokenizer worker ${why}`, { cause }))
    }
    worker.on('error', (e) => gone(`crashed: ${e.message}`, e))
    worker.on('exit', (code) => gone(`exited (code ${code})`))
    this.#worker = worker
    return worker
  }

  #failAll(e: Error): void {
    const pending = [...this.#pending.values()]
    this.#pending.clear()
    for (const p of pending) p.reject(e)
  }
}
