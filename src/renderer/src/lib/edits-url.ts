/**
 * The current sense-edit document in the URL: base64url (RFC 4648 §5, no padding) of its UTF-8
 * JSON, so a shared or reloaded link reopens the same edits. Decoding yields untrusted JSON; the
 * caller validates it (`edits.validate`) before using it.
 */
export function encodeEdits(document: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(document))
  let bin = ''
  for (const b of bytes) bin += String.fromCharCode(b)
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

/** The JSON value encoded by `encodeEdits`, or null when `text` is not such an encoding. */
export function decodeEdits(text: string): unknown {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) return null
  try {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'))
    const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0))
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown
  } catch {
    return null
  }
}
