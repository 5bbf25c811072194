import { contextBridge, ipcRenderer, webUtils, type IpcRendererEvent } from 'electron'
import { API_EVENTS, API_METHODS, IPC_CHANNELS, type ApiEvent, type WorkbenchBridge } from '../shared/ipc/api'

/**
 * The whole bridge between the sandboxed renderer and main: `invoke` for the allowlisted API
 * methods and `onEvent` for the allowlisted events. Nothing else of Node or Electron is exposed.
 */
const methods = new Set<string>(API_METHODS)
const events = new Set<string>(API_EVENTS)

const bridge: WorkbenchBridge = {
  invoke(method, request) {
    if (typeof method !== 'string' || !methods.has(method)) {
      return Promise.resolve({ ok: false, error: { code: 'bad-request', message: `unknown API method ${JSON.stringify(String(method))}` } })
    }
    return ipcRenderer.invoke(IPC_CHANNELS.invoke, method, request)
  },
  onEvent(listener) {
    const wrapped = (_e: IpcRendererEvent, event: ApiEvent) => {
      if (event && events.has(event.name)) listener(event)
    }
    ipcRenderer.on(IPC_CHANNELS.event, wrapped)
    return () => {
      ipcRenderer.off(IPC_CHANNELS.event, wrapped)
    }
  },
  pathForFile: (file) => webUtils.getPathForFile(file),
}

contextBridge.exposeInMainWorld('workbench', bridge)
