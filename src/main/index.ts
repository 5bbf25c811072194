import { app, BrowserWindow } from 'electron'
import { createDispatcher } from './ipc/create-dispatcher'
import { installAppMenu } from './ipc/app-menu'
import { registerIpc } from './ipc/register-ipc'
import { appUrl, createMainWindow, denyPermissions, hardenContents } from './window'
import { Workbench } from './workbench/workbench'

/**
 * Electron lifecycle: one hardened window, the workbench service behind typed IPC, the native
 * menu. Inference runs in the engine's worker, so this event loop only routes messages.
 */
let win: BrowserWindow | null = null

if (!app.requestSingleInstanceLock()) app.quit()

app.enableSandbox()
app.on('web-contents-created', (_e, contents) => hardenContents(contents))

app.whenReady().then(() => {
  denyPermissions()
  const workbench = new Workbench({ transport: 'electron', version: app.getVersion() })
  registerIpc({
    dispatch: createDispatcher(workbench.handlers()),
    subscribe: (l) => workbench.events.subscribe(l),
    appUrl,
    target: () => win?.webContents ?? null,
  })
  installAppMenu(workbench, () => win)
  win = createMainWindow()
  win.on('closed', () => (win = null))
  void workbench.openDefault()
  app.on('second-instance', () => win?.focus())
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) win = createMainWindow()
  })
  app.on('will-quit', () => void workbench.dispose())
})

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit()
})
