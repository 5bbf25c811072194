import { existsSync } from 'node:fs'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import { createDispatcher } from '../workbench/create-dispatcher'
import { Workbench } from '../workbench/workbench'
import { serveWorkbench, type RunningServer } from './serve-workbench'

export interface StartServeOptions {
  webRoot: string
  host?: string
  port?: number
  checkpoint?: string
  version: string
  token?: string
  /** without a checkpoint: load the last one used, else the bundled demo (as the app does) */
  openDefault?: boolean
  /** a --checkpoint that failed to load (the server keeps running without a model) */
  onLoadError?: (e: unknown) => void
}

/** Builds the workbench service and serves it: what `cli serve` runs, and what tests start. */
export async function startServe(options: StartServeOptions): Promise<{ server: RunningServer; workbench: Workbench }> {
  if (!existsSync(join(options.webRoot, 'index.html'))) {
    throw new WorkbenchError('not-found', `no built renderer at ${options.webRoot}: run \`npm run build:web\` first (or pass --web DIR)`)
  }
  const workbench = new Workbench({ transport: 'http', version: options.version })
  const server = await serveWorkbench({
    dispatch: createDispatcher(workbench.handlers()),
    subscribe: (l) => workbench.events.subscribe(l),
    webRoot: options.webRoot,
    host: options.host,
    port: options.port,
    token: options.token,
  })
  if (options.checkpoint) {
    // load in the background: the UI shows progress through model.progressed events
    workbench.load(options.checkpoint).catch((e) => options.onLoadError?.(e))
  } else if (options.openDefault) {
    void workbench.openDefault()
  }
  return { server, workbench }
}
