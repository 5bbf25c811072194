import { WorkbenchError } from './errors'

/**
 * The generation settings both doors accept — the CLI's `generate` flags and the `generate.run`
 * request of the app and `serve` — in one place, so that a setting one door takes the other
 * does not refuse (design.md §1: every request is untrusted input). Ranges are inclusive unless
 * `minExclusive`.
 *
 * - maxNewTokens [1, 512]: 0 would generate nothing; 512 is the model's position limit (the
 *   prompt's tokens count against it too, so a long prompt stops earlier, `position-limit`).
 * - temperature (0, 100]: softmax(logit / T) needs T > 0; at 100 the distribution is already
 *   close to uniform over the kept tokens, so larger values only hide typos.
 * - topK [1, 100000]: a k at or above the vocabulary keeps every token.
 * - topP (0, 1].
 * - seed [0, 2^32 − 1]: `SeededRandom` (src/main/generation/seeded-random.ts) folds a seed into
 *   one 32-bit word (low word XOR high word × 0x9e3779b9) before splitmix32, so exactly these
 *   seeds give 2^32 distinct streams; above them seeds alias (2^32 and 0x9e3779b9 give the same
 *   stream). The CLI's drawn seed (no --seed) comes from this range too.
 */
export const GENERATION_LIMITS = {
  maxNewTokens: { min: 1, max: 512, default: 32 },
  temperature: { min: 0, minExclusive: true, max: 100, default: 1 },
  topK: { min: 1, max: 100_000 },
  topP: { min: 0, minExclusive: true, max: 1 },
  seed: { min: 0, max: 2 ** 32 - 1 },
} as const

/**
 * The topic suite's own settings, the same at both doors — the CLI's `suite topic --samples /
 * --max-new` and the `suites.topic` request of the app and `serve` (before: CLI samples ≤ 10000
 * and max-new ≤ 511, the request ≤ 500 and ≤ 256). Its seed is GENERATION_LIMITS.seed, with
 * seed + samples − 1 ≤ SEED_MAX (sample s uses seed + s).
 *
 * - samples [1, 10000] per (topic, strength), default 2: the paper used 500; a run on a fast
 *   machine may want more for tighter means. Every run is cancellable (runId); each sample's
 *   text is kept in the result unless the CLI's --no-texts is given, so the largest runs are
 *   large (17 topics × 4 strengths × 10000 samples = 680000 texts).
 * - maxNewTokens [1, 512], default 30 (the paper: about 98): generate's range; the lone
 *   <|endoftext|> prompt + new tokens stop at the 512 positions, so at most 511 come out.
 */
export const TOPIC_SUITE_LIMITS = {
  samples: { min: 1, max: 10_000, default: 2 },
  maxNewTokens: { min: GENERATION_LIMITS.maxNewTokens.min, max: GENERATION_LIMITS.maxNewTokens.max, default: 30 },
} as const

/** The largest seed any door accepts (2^32 − 1); see GENERATION_LIMITS. */
export const SEED_MAX = GENERATION_LIMITS.seed.max

/** Settings that only sampling reads: with greedy decoding they would be ignored silently. */
export const SAMPLING_ONLY_SETTINGS = ['temperature', 'topK', 'topP', 'seed'] as const
export type SamplingOnlySetting = (typeof SAMPLING_ONLY_SETTINGS)[number]

/** The sampling-only settings present (not undefined) in `settings`, in SAMPLING_ONLY_SETTINGS order. */
export function samplingSettingsGiven(settings: Partial<Record<SamplingOnlySetting, unknown>>): SamplingOnlySetting[] {
  return SAMPLING_ONLY_SETTINGS.filter((name) => settings[name] !== undefined)
}

/** "[1, 512]" / "(0, 100]": a setting's range as the error messages and the CLI help print it. */
export function describeRange(name: keyof typeof GENERATION_LIMITS): string {
  const r = GENERATION_LIMITS[name] as { min: number; max: number; minExclusive?: boolean }
  return `${r.minExclusive ? '(' : '['}${r.min}, ${r.max}]`
}

/**
 * A setting's value checked against GENERATION_LIMITS: `integer` settings must be integers.
 * `label` is how the door names it (`--max-new`, `maxNewTokens`). Throws `bad-request`.
 */
export function checkGenerationSetting(name: keyof typeof GENERATION_LIMITS, value: number, label: string = name): number {
  const r = GENERATION_LIMITS[name] as { min: number; max: number; minExclusive?: boolean }
  const integer = name !== 'temperature' && name !== 'topP'
  const above = r.minExclusive ? value > r.min : value >= r.min
  if (!Number.isFinite(value) || (integer && !Number.isInteger(value)) || !above || value > r.max) {
    throw new WorkbenchError(
      'bad-request',
      `${label} must be ${integer ? 'an integer' : 'a number'} in ${describeRange(name)}, got ${value}`,
    )
  }
  return value
}
