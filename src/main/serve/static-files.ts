import { readFile, realpath, stat } from 'node:fs/promises'
import { extname, join, normalize, resolve, sep } from 'node:path'

/** Content types of the files a Vite build of the renderer produces. */
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
}

export interface StaticFile {
  body: Buffer
  type: string
}

/**
 * Reads a file of the built renderer for a URL path, or returns null. Paths are confined to
 * `root` (no `..`, no absolute paths, no dotfiles); `/` is index.html. Symbolic links are
 * resolved and the real path must still lie inside the root's real path, so a link inside the
 * web root cannot expose a file outside it; a link loop or dangling link is simply not found.
 */
export async function staticFile(root: string, urlPath: string): Promise<StaticFile | null> {
  let rel: string
  try {
    rel = decodeURIComponent(urlPath)
  } catch {
    return null
  }
  if (rel === '/' || rel === '') rel = '/index.html'
  if (rel.includes('\0') || rel.split('/').some((part) => part.startsWith('.'))) return null
  const base = resolve(root)
  const file = normalize(join(base, rel))
  if (file !== base && !file.startsWith(base + sep)) return null
  try {
    const [realBase, real] = await Promise.all([realpath(base), realpath(file)])
    if (!real.startsWith(realBase + sep)) return null
    const info = await stat(real)
    if (!info.isFile()) return null
    return { body: await readFile(real), type: TYPES[extname(file)] ?? 'application/octet-stream' }
  } catch {
    return null
  }
}
