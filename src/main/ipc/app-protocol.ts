import { promises as fsp } from 'node:fs'
import { extname, isAbsolute, join, relative, sep } from 'node:path'
import { RENDERER_CSP } from '../../shared/renderer-csp'

/**
 * The `app://` protocol the Electron window loads the renderer from (instead of `file://`): a
 * standard, secure origin of its own, serving only regular files whose real path (symlinks
 * resolved) lies inside the built renderer folder, each with the renderer's CSP as a response
 * header. Plain Node (Request → Response): window.ts registers it with Electron's
 * `protocol.handle`.
 */
export const APP_SCHEME = 'app'
export const APP_HOST = 'workbench'
/** the page the window loads */
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`

/** the privileges `protocol.registerSchemesAsPrivileged` gives the scheme (before `ready`) */
export const APP_SCHEME_PRIVILEGES = {
  standard: true, // an origin of its own (app://workbench), relative URLs resolve
  secure: true, // a secure context, like https
  supportFetchAPI: true,
  corsEnabled: true, // Vite's <script type="module" crossorigin> and <link crossorigin> load in CORS mode
  codeCache: true,
} as const

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
}

const SECURITY_HEADERS = {
  'Content-Security-Policy': RENDERER_CSP,
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
}

export type AppProtocolHandler = (request: Request) => Promise<Response>

/** Serves the files of `rendererDir` at app://workbench/…; `/` is index.html. */
export function createAppProtocolHandler(rendererDir: string): AppProtocolHandler {
  let realRoot: Promise<string> | null = null
  return async (request) => {
    try {
      if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, { Allow: 'GET, HEAD' })
      const path = requestPath(request.url)
      if (path === null) return refuse(404)
      const lexical = join(rendererDir, path === '/' ? 'index.html' : path)
      if (!inside(rendererDir, lexical)) return refuse(404)
      realRoot ??= fsp.realpath(rendererDir)
      const root = await realRoot
      const real = await fsp.realpath(lexical).catch(() => null)
      if (real === null || !inside(root, real)) return refuse(404) // a symlink out of the folder counts as absent
      const stat = await fsp.stat(real)
      if (!stat.isFile()) return refuse(404)
      const type = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream'
      const headers = { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(stat.size) }
      return new Response(request.method === 'HEAD' ? null : new Uint8Array(await fsp.readFile(real)), { status: 200, headers })
    } catch {
      realRoot = null // e.g. the folder did not exist yet: look again next time
      return refuse(500)
    }
  }
}

/** The decoded path of an app://workbench/… URL, or null for another origin or a path no file can have. */
function requestPath(url: string): string | null {
  let parsed: URL
  try {
    parsed = new URL(url)
  } catch {
    return null
  }
  if (parsed.protocol !== `${APP_SCHEME}:` || parsed.host.toLowerCase() !== APP_HOST) return null
  let path: string
  try {
    path = decodeURIComponent(parsed.pathname)
  } catch {
    return null // malformed percent-encoding
  }
  if (path.includes('\0') || path.includes('\\')) return null // a NUL, or a second kind of separator
  return path
}

function inside(root: string, path: string): boolean {
  const rel = relative(root, path)
  return rel !== '' && rel !== '..' && !rel.startsWith('..' + sep) && !isAbsolute(rel)
}

function refuse(status: number, extra: Record<string, string> = {}): Response {
  return new Response(null, { status, headers: { ...SECURITY_HEADERS, ...extra } })
}
