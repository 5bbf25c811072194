import { ipcMain, type IpcMainInvokeEvent, type WebContents } from 'electron'
import { IPC_CHANNELS, type ApiEvent } from '../../shared/ipc/api'
import type { Dispatch } from '../workbench/create-dispatcher'
import { isTrustedSenderUrl } from './trusted-sender'

/**
 * Connects the dispatcher to Electron IPC: one invoke channel for every method (the dispatcher
 * refuses unknown ones and validates requests), events pushed to the window. Messages from a
 * frame that is not our page get an `unauthorized` Result.
 */
export function registerIpc(options: {
  dispatch: Dispatch
  subscribe: (listener: (event: ApiEvent) => void) => () => void
  appUrl: () => string
  target: () => WebContents | null
}): () => void {
  ipcMain.handle(IPC_CHANNELS.invoke, async (event: IpcMainInvokeEvent, method: unknown, request: unknown) => {
    if (!isTrustedSenderUrl(event.senderFrame?.url, options.appUrl())) {
      return {
        ok: false,
        error: { code: 'unauthorized', message: `IPC from an untrusted frame (${event.senderFrame?.url ?? 'unknown'}) refused` },
      }
    }
    return options.dispatch(method, request)
  })
  const unsubscribe = options.subscribe((event) => {
    const wc = options.target()
    if (wc && !wc.isDestroyed()) wc.send(IPC_CHANNELS.event, event)
  })
  return () => {
    unsubscribe()
    ipcMain.removeHandler(IPC_CHANNELS.invoke)
  }
}
