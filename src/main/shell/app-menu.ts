import { readFile } from 'node:fs/promises'
import { basename } from 'node:path'
import { app, dialog, Menu, type BrowserWindow, type MenuItemConstructorOptions } from 'electron'
import type { Workbench } from '../workbench/workbench'

/**
 * The native menu: open a checkpoint folder (loads it through the workbench, progress reaches
 * the window as events), import an edit document (read here, validated by the renderer through
 * edits.validate), and the usual edit/view/window roles. Export goes through the renderer's
 * download (a save dialog in Electron).
 */
export function installAppMenu(workbench: Workbench, window: () => BrowserWindow | null): void {
  const handlers = workbench.handlers()
  const template: MenuItemConstructorOptions[] = [
    {
      label: 'File',
      submenu: [
        {
          label: 'Open Checkpoint Folder…',
          accelerator: 'CmdOrCtrl+O',
          click: async () => {
            const win = window()
            const res = await (win
              ? dialog.showOpenDialog(win, { properties: ['openDirectory'] })
              : dialog.showOpenDialog({ properties: ['openDirectory'] }))
            if (!res.canceled && res.filePaths[0]) await handlers['model.load']({ checkpoint: res.filePaths[0] }).catch(() => undefined)
          },
        },
        {
          label: 'Import Edits…',
          accelerator: 'CmdOrCtrl+I',
          click: async () => {
            const opts = { properties: ['openFile' as const], filters: [{ name: 'Sense edits', extensions: ['json'] }] }
            const win = window()
            const res = await (win ? dialog.showOpenDialog(win, opts) : dialog.showOpenDialog(opts))
            const file = res.filePaths[0]
            if (res.canceled || !file) return
            let document: unknown = null
            try {
              document = JSON.parse(await readFile(file, 'utf8'))
            } catch (e) {
              dialog.showErrorBox('Import edits', `${basename(file)} is not a JSON file: ${(e as Error).message}`)
              return
            }
            workbench.events.emit('edits.imported', { fileName: basename(file), document })
          },
        },
        { type: 'separator' },
        process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
      ],
    },
    { role: 'editMenu' },
    { role: 'viewMenu' },
    { role: 'windowMenu' },
    { role: 'help', submenu: [{ label: `Backpack Workbench ${app.getVersion()}`, enabled: false }] },
  ]
  Menu.setApplicationMenu(Menu.buildFromTemplate(template))
}
