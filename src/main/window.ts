import { BrowserWindow, shell, type WebContents } from 'electron'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { APP_ENTRY_URL } from './ipc/app-protocol'
import { isAllowedExternalUrl } from './ipc/external-links'
import { isTrustedSenderUrl } from './ipc/trusted-sender'

const here = fileURLToPath(new URL('.', import.meta.url))

/** The built renderer, served at app://workbench/ (out/renderer beside out/main). */
export const rendererDir = join(here, '../renderer')

/** The page the window shows: the dev server in `electron-vite dev`, else app://workbench/index.html. */
export function appUrl(): string {
  return process.env.ELECTRON_RENDERER_URL ?? APP_ENTRY_URL
}

/** One hardened window: isolated, sandboxed, no Node, navigation and pop-ups blocked. */
export function createMainWindow(): BrowserWindow {
  const win = new BrowserWindow({
    width: 1280,
    height: 800,
    minWidth: 960,
    minHeight: 600,
    show: false,
    title: 'Backpack Workbench',
    webPreferences: {
      preload: join(here, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      spellcheck: false,
    },
  })
  hardenContents(win.webContents)
  win.once('ready-to-show', () => win.show())
  void win.loadURL(appUrl())
  return win
}

/**
 * Keeps every web contents on our page: navigations, frame navigations and redirects anywhere
 * else are cancelled, <webview> never attaches, new windows are denied (an https link to an
 * allowlisted host opens in the system browser instead), and Bluetooth device choosers cancel.
 */
export function hardenContents(contents: WebContents): void {
  const stay = (event: { url: string; preventDefault(): void }) => {
    if (!isTrustedSenderUrl(event.url, appUrl())) event.preventDefault()
  }
  contents.on('will-navigate', stay)
  contents.on('will-frame-navigate', stay)
  contents.on('will-redirect', stay)
  contents.on('will-attach-webview', (event) => event.preventDefault())
  contents.on('select-bluetooth-device', (event, _devices, callback) => {
    event.preventDefault()
    callback('')
  })
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) void shell.openExternal(url)
    return { action: 'deny' }
  })
}
