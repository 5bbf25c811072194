import { existsSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

/** Where `npm run build:web` put the renderer (out/web), found from this file or the cwd. */
export function defaultWebRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url))
  for (const base of [resolve(here, '../../..'), resolve(here, '../..'), process.cwd()]) {
    const candidate = join(base, 'out', 'web')
    if (existsSync(join(candidate, 'index.html'))) return candidate
  }
  return join(process.cwd(), 'out', 'web')
}
