/**
 * Units of the numbers the views show. A probability is shown in percent and a difference of
 * probabilities in percentage points (pp); log-probabilities are in nats (natural log).
 */
export interface MetricUnit {
  /** multiplies a stored value for display (a probability 0.12 → 12 %) */
  scale: number
  /** unit of a value, e.g. '%', 'nats' ('' when dimensionless) */
  unit: string
  /** unit of a difference of two values, e.g. 'pp' for percentages */
  deltaUnit: string
}

const UNITS: Record<string, MetricUnit> = {
  top1Prob: { scale: 100, unit: '%', deltaUnit: 'pp' },
  meanLogProb: { scale: 1, unit: 'nats', deltaUnit: 'nats' },
  perplexity: { scale: 1, unit: '', deltaUnit: '' },
}

export function metricUnit(metric: string): MetricUnit {
  return UNITS[metric] ?? { scale: 1, unit: '', deltaUnit: '' }
}

/** `value` with its unit, e.g. `12.30 %`, `−3.214 nats`. */
export function withUnit(value: number, unit: string, digits = 3): string {
  return `${value.toFixed(digits)}${unit === '' ? '' : unit === '%' ? ' %' : ` ${unit}`}`
}

/** A signed difference with its unit, e.g. `+1.20 pp`. */
export function signedWithUnit(delta: number, unit: string, digits = 3): string {
  return `${delta > 0 ? '+' : ''}${withUnit(delta, unit, digits)}`
}

/** `n noun` with the noun in the plural unless n is 1: `1 edit`, `3 edits`. */
export function countOf(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
