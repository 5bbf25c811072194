import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { generate, type GenerateOptions, type GenerationResult } from './generate'

export interface GenerationComparison {
  baseline: GenerationResult
  edited: GenerationResult
  /** index of the first generated token where the two differ (null: identical) */
  firstDifference: number | null
}

/**
 * Baseline (no edits) and edited generations of the same prompt with the same settings and
 * the same seed, run one after the other, each with its own generator seeded identically:
 * with sampling, the two texts share the random stream, so they diverge only where the
 * edits change the distribution enough to change a draw.
 */
export async function generateCompare(
  engine: BackpackEngine,
  options: Omit<GenerateOptions, 'edits'> & { edits: ParsedSenseEdits | null },
): Promise<GenerationComparison> {
  const { edits, onLogits: _onLogits, onToken: _onToken, ...rest } = options
  const baseline = await generate(engine, { ...rest, edits: null })
  const edited = await generate(engine, { ...rest, edits })
  const n = Math.max(baseline.ids.length, edited.ids.length)
  let firstDifference: number | null = null
  for (let i = 0; i < n; i++) {
    if (baseline.ids[i] !== edited.ids[i]) {
      firstDifference = i
      break
    }
  }
  return { baseline, edited, firstDifference }
}
