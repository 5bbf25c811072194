import { EventEmitter } from 'node:events'
import { vi } from 'vitest'

/**
 * A stand-in for the parts of the `electron` module the shell uses (its binary cannot be
 * installed here). Test files mock `electron` with it:
 *   vi.mock('electron', async () => (await import('./fake-electron')).electron)
 * and read back what the shell did through the recorders.
 */
export interface FakeEvent {
  url?: string
  defaultPrevented: boolean
  preventDefault(): void
}
export const fakeEvent = (url?: string): FakeEvent => ({
  url,
  defaultPrevented: false,
  preventDefault() {
    this.defaultPrevented = true
  },
})

type OpenHandler = (details: { url: string }) => { action: string }

export class FakeWebContents extends EventEmitter {
  openHandler: OpenHandler | null = null
  sent: unknown[] = []
  setWindowOpenHandler(handler: OpenHandler) {
    this.openHandler = handler
  }
  isDestroyed() {
    return false
  }
  send(_channel: string, payload: unknown) {
    this.sent.push(payload)
  }
}

export class FakeSession extends EventEmitter {
  permissionRequest: ((wc: unknown, permission: string, callback: (granted: boolean) => void) => void) | null = null
  permissionCheck: ((wc: unknown, permission: string) => boolean) | null = null
  devicePermission: ((details: unknown) => boolean) | null = null
  bluetoothPairing: ((details: unknown, callback: (response: { confirmed: boolean }) => void) => void) | null = null
  setPermissionRequestHandler(h: FakeSession['permissionRequest']) {
    this.permissionRequest = h
  }
  setPermissionCheckHandler(h: FakeSession['permissionCheck']) {
    this.permissionCheck = h
  }
  setDevicePermissionHandler(h: FakeSession['devicePermission']) {
    this.devicePermission = h
  }
  setBluetoothPairingHandler(h: FakeSession['bluetoothPairing']) {
    this.bluetoothPairing = h
  }
}

export class FakeBrowserWindow extends EventEmitter {
  static instances: FakeBrowserWindow[] = []
  static getAllWindows = () => FakeBrowserWindow.instances
  readonly webContents = new FakeWebContents()
  loadedUrl: string | null = null
  constructor(readonly options: { webPreferences: Record<string, unknown> } & Record<string, unknown>) {
    super()
    FakeBrowserWindow.instances.push(this)
  }
  loadURL(url: string) {
    this.loadedUrl = url
    return Promise.resolve()
  }
  show() {}
  focus() {}
}

let markReady: () => void = () => undefined
const ready = new Promise<void>((resolve) => (markReady = resolve))

class FakeApp extends EventEmitter {
  whenReady = () => ready
  requestSingleInstanceLock = () => true
  quit = vi.fn()
  enableSandbox = vi.fn()
  getVersion = () => '0.0.0-test'
}

export const recorded = {
  /** resolves app.whenReady() */
  ready: () => markReady(),
  schemes: [] as { scheme: string; privileges: Record<string, boolean> }[],
  protocolHandlers: new Map<string, (request: Request) => Promise<Response>>(),
  ipcHandlers: new Map<string, (event: unknown, ...args: unknown[]) => unknown>(),
}

export const electron = {
  app: new FakeApp(),
  BrowserWindow: FakeBrowserWindow,
  session: { defaultSession: new FakeSession() },
  shell: { openExternal: vi.fn(async () => undefined) },
  protocol: {
    registerSchemesAsPrivileged: (schemes: typeof recorded.schemes) => recorded.schemes.push(...schemes),
    handle: (scheme: string, handler: (request: Request) => Promise<Response>) => recorded.protocolHandlers.set(scheme, handler),
  },
  ipcMain: {
    handle: (channel: string, fn: (event: unknown, ...args: unknown[]) => unknown) => recorded.ipcHandlers.set(channel, fn),
    removeHandler: (channel: string) => recorded.ipcHandlers.delete(channel),
  },
  Menu: { buildFromTemplate: (template: unknown) => template, setApplicationMenu: vi.fn() },
  dialog: { showOpenDialog: vi.fn(), showErrorBox: vi.fn() },
}
