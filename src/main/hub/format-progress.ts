import type { HubDownloadProgress } from './transfer-progress'

/** Human units for the CLI: `281.2 MB`, `12.4 MB/s`, `1:05`. */
export function formatBytes(n: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  let v = n
  let i = 0
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000
    i++
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`
}

export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return '--:--'
  const s = Math.round(seconds)
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const sec = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`
}

/** One terminal line: `model.safetensors [██████░░░░]  60%  410.4 MB/684.0 MB  12.4 MB/s  ETA 0:22`. */
export function formatProgress(e: HubDownloadProgress, width = 24): string {
  if (e.phase === 'resolving') return 'resolving files on the Hub…'
  const fraction = e.total > 0 ? Math.min(1, e.bytes / e.total) : 1
  const filled = Math.round(fraction * width)
  const bar = '█'.repeat(filled) + '░'.repeat(width - filled)
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4)
  const what = e.phase === 'verifying' ? `verifying ${e.file}` : e.phase === 'done' ? 'done' : (e.file ?? '')
  return `${what} [${bar}] ${pct}  ${formatBytes(e.bytes)}/${formatBytes(e.total)}  ${formatBytes(e.rate)}/s  ETA ${formatDuration(e.etaSeconds)}`
}
