import type { Result } from '../../../shared/errors'
import type {
  ApiCall,
  ApiEvent,
  ApiEventName,
  ApiEvents,
  ApiMethod,
  ApiRequest,
  ApiResponse,
  WorkbenchBridge,
} from '../../../shared/ipc/api'
import { parseJson } from '../../../shared/ipc/typed-array-json'

/**
 * The renderer's one way to the main side. In Electron it uses the preload bridge
 * (`window.workbench`); in a browser opened from `serve` it uses HTTP with the session token from
 * the URL (`?token=`, kept in sessionStorage so a reload still works) and reads events from the
 * /api/events stream. Either way callers get the same typed Results.
 */
export interface ApiClient {
  call: ApiCall
  on<E extends ApiEventName>(name: E, listener: (payload: ApiEvents[E]) => void): () => void
  /**
   * Called each time the HTTP event stream (re)opens: events sent while it was not open are lost,
   * so state that events keep current must be re-read then (the server registers the stream
   * before its response starts, so a read after this sees every later change or its event).
   * Never called in Electron, whose event channel exists before the first call.
   */
  onConnected(listener: () => void): () => void
  readonly transport: 'electron' | 'http'
  /** the path of a dropped folder, where the platform tells it (Electron), else null */
  pathForFile(file: File): string | null
}

export function createApiClient(win: Window = window): ApiClient {
  const bridge = (win as Window & { workbench?: WorkbenchBridge }).workbench
  const listeners = new Set<(event: ApiEvent) => void>()
  const emit = (event: ApiEvent) => {
    for (const l of listeners) l(event)
  }
  const connectedListeners = new Set<() => void>()
  const connected = () => {
    for (const l of connectedListeners) l()
  }
  let invoke: (method: string, request: unknown) => Promise<Result<unknown>>
  let transport: 'electron' | 'http'
  if (bridge) {
    transport = 'electron'
    invoke = (m, r) => bridge.invoke(m, r)
    bridge.onEvent(emit)
  } else {
    transport = 'http'
    const token = sessionToken(win)
    invoke = (m, r) => httpCall(win, token, m, r)
    void readEvents(win, token, emit, connected)
  }
  return {
    transport,
    pathForFile: (file) => bridge?.pathForFile?.(file) || null,
    call: (<M extends ApiMethod>(method: M, request: ApiRequest<M>) =>
      invoke(method, JSON.parse(JSON.stringify(request ?? {}))) as Promise<Result<ApiResponse<M>>>) as ApiCall,
    on(name, listener) {
      const l = (event: ApiEvent) => {
        if (event.name === name) listener(event.payload as ApiEvents[typeof name])
      }
      listeners.add(l)
      return () => listeners.delete(l)
    },
    onConnected(listener) {
      connectedListeners.add(listener)
      return () => connectedListeners.delete(listener)
    },
  }
}

function sessionToken(win: Window): string {
  const params = new URLSearchParams(win.location.search)
  const fromUrl = params.get('token')
  if (fromUrl) {
    win.sessionStorage.setItem('backpack-token', fromUrl)
    return fromUrl
  }
  return win.sessionStorage.getItem('backpack-token') ?? ''
}

async function httpCall(win: Window, token: string, method: string, request: unknown): Promise<Result<unknown>> {
  try {
    const res = await win.fetch(`./api/${method}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(request ?? {}),
    })
    return parseJson(await res.text()) as Result<unknown> // Float32Array values come back as such
  } catch (e) {
    return { ok: false, error: { code: 'internal', message: `the workbench server did not answer: ${(e as Error).message}` } }
  }
}

async function readEvents(win: Window, token: string, emit: (e: ApiEvent) => void, connected: () => void): Promise<void> {
  for (let attempt = 0; attempt < 1000; attempt++) {
    try {
      const res = await win.fetch('./api/events', { headers: { Authorization: `Bearer ${token}` } })
      if (res.status === 401 || !res.body) return
      const reader = res.body.getReader()
      connected()
      const decoder = new TextDecoder()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += decoder.decode(value, { stream: true })
        let cut: number
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          if (block.startsWith('data: ')) emit(JSON.parse(block.slice(6)) as ApiEvent)
        }
      }
    } catch {
      // server gone or restarting: retry below
    }
    await new Promise((r) => setTimeout(r, 1000))
  }
}
