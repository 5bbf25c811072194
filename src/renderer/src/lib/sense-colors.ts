/**
 * One colour per sense, shared by every view where colour means "which sense" (attribution
 * bars, generation tint, legends). Sixteen colours, mostly from Kelly's list of maximally contrasting
 * colours (white and black left out, so each reads on the light and the dark theme; no two closer
 * than 45 in RGB): a Backpack
 * has 16 senses, and tableau10 repeated senses 0/10 … 5/15.
 */
export const SENSE_COLORS = [
  '#0067a5', // blue
  '#f38400', // orange
  '#008856', // green
  '#be0032', // red
  '#875692', // purple
  '#f3c300', // yellow
  '#a1caf1', // light blue
  '#882d17', // brown
  '#e68fac', // pink
  '#8db600', // yellow-green
  '#e25822', // vermilion
  '#f99379', // salmon
  '#00a3a3', // teal
  '#b3446c', // purple-red
  '#c2b280', // buff
  '#848482', // grey
] as const

/** The colour of sense `s` (models with more than 16 senses reuse the list). */
export function senseColor(s: number): string {
  return SENSE_COLORS[((s % SENSE_COLORS.length) + SENSE_COLORS.length) % SENSE_COLORS.length]
}

/** `senseColor(s)` with opacity `alpha` in [0, 1], as a CSS rgba(). */
export function senseTint(s: number, alpha: number): string {
  const hex = senseColor(s)
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16))
  return `rgba(${r}, ${g}, ${b}, ${Math.max(0, Math.min(1, alpha)).toFixed(2)})`
}

/** An Observable Plot colour scale for the senses 0 … numSenses−1, with its legend. */
export function senseColorScale(numSenses: number) {
  const domain = Array.from({ length: numSenses }, (_, i) => i)
  return { type: 'ordinal' as const, domain, range: domain.map(senseColor), legend: true, label: 'sense' }
}
