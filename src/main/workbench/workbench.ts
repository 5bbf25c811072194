import { WorkbenchError } from '../../shared/errors'
import type { ApiMethod } from '../../shared/ipc/api'
import { API_METHODS } from '../../shared/ipc/api'
import { senseEditDocumentSchema } from '../../shared/ipc/edit-schemas'
import type { AppInfo, ModelInfo } from '../../shared/ipc/api-types'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import type { ApiHandlers } from '../ipc/create-dispatcher'
import { encodePrompt } from './encode-prompt'
import { WorkbenchEvents } from './workbench-events'

/**
 * The app-side service behind both doors (Electron IPC and serve): one object implementing the
 * whole API by composing the engine, the analysis modules and the experiment store. Methods whose
 * backend is not in this build answer `unavailable` (the views then say "not available yet");
 * nothing here fabricates a result.
 */
export interface WorkbenchOptions {
  transport: 'electron' | 'http'
  version: string
}

export class Workbench {
  readonly events = new WorkbenchEvents()
  readonly #options: WorkbenchOptions
  readonly #runs = new Map<string, AbortController>()
  #model: ModelInfo | null = null

  constructor(options: WorkbenchOptions) {
    this.#options = options
  }

  /** Which methods have a backend in this build. */
  available(): Record<ApiMethod, boolean> {
    const out = {} as Record<ApiMethod, boolean>
    for (const m of API_METHODS) out[m] = !UNAVAILABLE.has(m)
    return out
  }

  handlers(): ApiHandlers {
    const tokenizer = gpt2Tokenizer()
    return {
      'app.info': async (): Promise<AppInfo> => ({
        version: this.#options.version,
        transport: this.#options.transport,
        available: this.available(),
        model: this.#model,
      }),
      'model.info': async () => this.#model,
      'model.load': unavailable('model.load'),
      'tokens.encode': async ({ text }) => ({ tokens: encodePrompt(tokenizer, text) }),
      'predict.next': unavailable('predict.next'),
      'predict.attribute': unavailable('predict.attribute'),
      'senses.lookup': unavailable('senses.lookup'),
      'senses.neighbours': unavailable('senses.neighbours'),
      'senses.reverse': unavailable('senses.reverse'),
      'edits.validate': async ({ document }) => {
        const res = senseEditDocumentSchema.safeParse(document)
        if (!res.success) {
          const issue = res.error.issues[0]
          throw new WorkbenchError('edit-invalid', `sense-edit document: ${issue.path.join('.') || '(document)'}: ${issue.message}`)
        }
        return { document: res.data }
      },
      'edits.blastRadius': unavailable('edits.blastRadius'),
      'experiments.list': unavailable('experiments.list'),
      'experiments.get': unavailable('experiments.get'),
      'experiments.save': unavailable('experiments.save'),
      'experiments.update': unavailable('experiments.update'),
      'experiments.fork': unavailable('experiments.fork'),
      'experiments.delete': unavailable('experiments.delete'),
      'experiments.compare': unavailable('experiments.compare'),
      'experiments.exportTable': unavailable('experiments.exportTable'),
      'run.cancel': async ({ runId }) => {
        const run = this.#runs.get(runId)
        run?.abort()
        return { cancelled: run !== undefined }
      },
    }
  }

  /** At app start: loads the last checkpoint used, else the bundled demo, when loading exists. */
  async openDefault(): Promise<void> {
    if (!this.available()['model.load']) return
    await this.handlers()['model.load']({}).catch(() => undefined)
  }

  async dispose(): Promise<void> {
    for (const run of this.#runs.values()) run.abort()
    this.#runs.clear()
  }
}

const UNAVAILABLE = new Set<ApiMethod>([
  'model.load',
  'predict.next',
  'predict.attribute',
  'senses.lookup',
  'senses.neighbours',
  'senses.reverse',
  'edits.blastRadius',
  'experiments.list',
  'experiments.get',
  'experiments.save',
  'experiments.update',
  'experiments.fork',
  'experiments.delete',
  'experiments.compare',
  'experiments.exportTable',
])

function unavailable(method: ApiMethod): () => Promise<never> {
  return async () => {
    throw new WorkbenchError('unavailable', `${method} is not available in this build yet: its backend has not landed`)
  }
}
