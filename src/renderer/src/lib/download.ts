/** Saves text as a file through the browser's download (a save dialog in Electron). */
export function downloadText(fileName: string, text: string, type = 'text/plain'): void {
  downloadBlob(fileName, new Blob([text], { type }))
}

/** Saves base64-encoded bytes (e.g. a run's .npz) as a file through the browser's download. */
export function downloadBase64(fileName: string, base64: string, type = 'application/octet-stream'): void {
  downloadBlob(fileName, new Blob([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], { type }))
}

function downloadBlob(fileName: string, blob: Blob): void {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = fileName
  a.rel = 'noopener'
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 10_000)
}

/** A token field's value: an integer is an id, anything else is text taken exactly as typed. */
export function tokenRef(value: string): string | number {
  return /^\d+$/.test(value.trim()) ? Number(value.trim()) : value
}
