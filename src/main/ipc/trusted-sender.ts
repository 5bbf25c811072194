/**
 * Is this URL our own page? The renderer is loaded from app://workbench/index.html or, in
 * `electron-vite dev`, from the dev server's origin. IPC from any other frame is refused and
 * navigation anywhere else is blocked (window.ts).
 */
export function isTrustedSenderUrl(frameUrl: string | undefined, appUrl: string): boolean {
  if (!frameUrl) return false
  let frame: URL
  let app: URL
  try {
    frame = new URL(frameUrl)
    app = new URL(appUrl)
  } catch {
    return false
  }
  if (app.protocol === 'http:' || app.protocol === 'https:') return frame.origin === app.origin
  // app: (and file:) URLs have an opaque origin in WHATWG URL terms: compare scheme, host and page
  return frame.protocol === app.protocol && frame.host.toLowerCase() === app.host.toLowerCase() && frame.pathname === app.pathname
}
