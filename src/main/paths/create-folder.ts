import { mkdirSync, statSync } from 'node:fs'
import { dirname, resolve } from 'node:path'

/**
 * Creates a folder and its missing parents, one level at a time. Node 20's
 * `mkdir(path, { recursive: true })` never returns when the kernel answers ENOENT for a folder
 * whose parent exists (e.g. anything under /proc): it retries the parent forever. Here such a
 * folder fails with that ENOENT instead. Throws the Node error (`code` set) for callers to wrap.
 */
export function createFolder(path: string): void {
  const missing: string[] = []
  for (let p = resolve(path); ; p = dirname(p)) {
    try {
      if (statSync(p).isDirectory()) break
      throw Object.assign(new Error(`${p} exists and is not a folder`), { code: 'ENOTDIR' })
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e
    }
    missing.push(p)
    if (dirname(p) === p) break
  }
  for (const dir of missing.reverse()) {
    try {
      mkdirSync(dir)
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e // created meanwhile by another process
    }
  }
}
