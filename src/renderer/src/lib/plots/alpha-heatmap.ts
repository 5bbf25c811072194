/**
 * The α heatmap's encodings, kept out of the component so they can be tested: a sequential
 * colour ramp from the page background to the accent colour (so it follows the theme), on a
 * square-root scale so small weights stay visible, and the positions that get a token label.
 */
export type Rgb = [number, number, number]

/** The ramp's ends per theme (the --bg and --accent of app.css). */
export const ALPHA_RAMPS: Record<'light' | 'dark', { from: Rgb; to: Rgb }> = {
  light: { from: [255, 255, 255], to: [36, 88, 198] },
  dark: { from: [21, 24, 28], to: [122, 167, 255] },
}

/** The colour of weight `alpha` (clamped to [0, 1]). */
export function alphaColor(alpha: number, theme: 'light' | 'dark'): Rgb {
  const { from, to } = ALPHA_RAMPS[theme]
  const t = Math.sqrt(Math.max(0, Math.min(1, Number.isFinite(alpha) ? alpha : 0)))
  return [0, 1, 2].map((c) => Math.round(from[c] + t * (to[c] - from[c]))) as Rgb
}

/** The colour-scale legend's stops: weights and their CSS colours. */
export function alphaLegendStops(theme: 'light' | 'dark'): { alpha: number; color: string }[] {
  return [0, 0.01, 0.05, 0.1, 0.25, 0.5, 1].map((alpha) => ({ alpha, color: `rgb(${alphaColor(alpha, theme).join(', ')})` }))
}

/**
 * The positions that get a label on an axis of `n` positions: every one up to `max`, beyond that
 * every k-th (and always the last), so 512 tokens get at most `max` readable labels.
 */
export function labelledPositions(n: number, max = 32): number[] {
  if (n <= 0) return []
  const step = Math.ceil(n / max)
  const out: number[] = []
  for (let i = 0; i < n; i += step) out.push(i)
  if (out[out.length - 1] !== n - 1) {
    if (n - 1 - out[out.length - 1] < step / 2) out.pop()
    out.push(n - 1)
  }
  return out
}

/** A token as an axis label: its position and its text, quoted (a leading space stays visible). */
export function tokenLabel(position: number, text: string, maxChars = 12): string {
  const quoted = JSON.stringify(text)
  return `${position} ${quoted.length > maxChars ? quoted.slice(0, maxChars - 1) + '…' : quoted}`
}
