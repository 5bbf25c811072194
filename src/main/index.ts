import { app, BrowserWindow, session } from 'electron'
import { createDispatcher } from './workbench/create-dispatcher'
import { installAppMenu } from './shell/app-menu'
import { lockDownSession } from './shell/lock-down-session'
import { registerAppScheme, serveAppProtocol } from './shell/register-app-protocol'
import { registerIpc } from './ipc/register-ipc'
import { appUrl, createMainWindow, hardenContents, rendererDir } from './window'
import { Workbench } from './workbench/workbench'

/**
 * Electron lifecycle: the renderer served from app://, one hardened window, every session denied
 * permissions and devices, the workbench service behind typed IPC, the native menu. Inference
 * runs in the engine's worker, so this event loop only routes messages.
 */
let win: BrowserWindow | null = null

registerAppScheme() // must happen before `ready`
if (!app.requestSingleInstanceLock()) app.quit()

app.enableSandbox()
app.on('web-contents-created', (_e, contents) => hardenContents(contents))
app.on('session-created', lockDownSession)

app.whenReady().then(() => {
  lockDownSession(session.defaultSession)
  serveAppProtocol(rendererDir)
  const workbench = new Workbench({ transport: 'electron', version: app.getVersion() })
  registerIpc({
    dispatch: createDispatcher(workbench.handlers()),
    subscribe: (l) => workbench.events.subscribe(l),
    appUrl,
    target: () => win?.webContents ?? null,
  })
  installAppMenu(workbench, () => win)
  const openWindow = () => {
    win = createMainWindow()
    win.on('closed', () => (win = null))
  }
  openWindow()
  void workbench.openDefault()
  app.on('second-instance', () => win?.focus())
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) openWindow()
  })
  app.on('will-quit', () => void workbench.dispose())
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
