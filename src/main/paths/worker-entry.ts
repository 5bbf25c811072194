import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'
import { Worker } from 'node:worker_threads'
import { WorkbenchError } from '../../shared/errors'

/**
 * Starts the worker thread whose entry file is `<name>` beside the module `from` (its
 * `import.meta.url`). Built: `<name>.js` next to it or one folder up from a chunk (electron-vite
 * makes each worker its own entry of `out/main`, see electron.vite.config.ts), or `<name>.mjs`
 * (the bundled CLI in `out/cli`, tools/cli/build-cli.mjs). From sources (tsx, vitest): the
 * TypeScript file `<name>.ts`, loaded through tsx's `tsImport` inside the worker, because the
 * parent's loader hooks do not reach worker threads on Node 20.
 */
export function startWorkerEntry(name: string, from: string): Worker {
  for (const rel of [`./${name}.js`, `../${name}.js`, `./${name}.mjs`, `../${name}.mjs`]) {
    const url = new URL(rel, from)
    if (url.protocol === 'file:' && existsSync(fileURLToPath(url))) return new Worker(url)
  }
  const ts = new URL(`./${name}.ts`, from)
  if (!existsSync(fileURLToPath(ts))) throw new WorkbenchError('internal', `${name} not found next to ${from}`)
  const tsxDir = dirname(createRequire(from).resolve('tsx/package.json'))
  const api = pathToFileURL(join(tsxDir, 'dist/esm/api/index.mjs')).href
  const code = `import(${JSON.stringify(api)}).then((m) => m.tsImport(${JSON.stringify(ts.href)}, ${JSON.stringify(ts.href)}))`
  return new Worker(code, { eval: true })
}
