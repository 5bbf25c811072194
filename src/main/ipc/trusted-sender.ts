/**
 * Is an IPC message from our own page? The renderer is loaded from the built index.html
 * (file://…/out/renderer/index.html) or, in `electron-vite dev`, from the dev server's origin.
 * Anything else (a navigated-away frame, an iframe from elsewhere) is refused.
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
  if (app.protocol === 'file:') return frame.protocol === 'file:' && frame.pathname === app.pathname
  return frame.origin === app.origin
}
