import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { build } from 'vite'

/** Builds the web renderer (vite.web.config.ts) once into a temp folder; returns the folder. */
export async function buildWeb(): Promise<string> {
  const outDir = mkdtempSync(join(tmpdir(), 'bw-web-'))
  await build({
    configFile: resolve('vite.web.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true, minify: false },
  })
  return outDir
}
