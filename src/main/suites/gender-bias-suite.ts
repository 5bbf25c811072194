import { WorkbenchError } from '../../shared/errors'
import type { ParsedSenseEdits } from '../../shared/edits/parse-sense-edits'
import type { GenderBiasView } from '../../shared/ipc/api-types'
import {
  fillProfession,
  GENDER_SENSE,
  GENDER_TEST_PROMPTS,
  GENDER_TRAIN_PROMPTS,
  HE_TOKEN,
  PROFESSIONS,
  SHE_TOKEN,
} from '../../shared/suites/gender-bias-data'
import { analysisRunner } from '../interventions/apply-sense-edits'
import type { InterventionRunner, RunCallOptions } from '../interventions/intervention-runner'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { composeEdits } from './compose-edits'
import { lastPositionLogits } from './last-position-logits'
import { nelderMead1d } from './nelder-mead-1d'

export interface GenderBiasOptions {
  /** the user's edits: every setting runs on top of them ("unmodified" = these alone) */
  edits?: ParsedSenseEdits | null
  /** the intervened sense; default min(10, K − 1) (10 is the paper's, for the 16-sense model) */
  sense?: number
  /** default: the paper's 40 (those that are one token with a leading space are used) */
  professions?: readonly string[]
  testPrompts?: readonly string[]
  trainPrompts?: readonly string[]
  /** fit w per profession (Optimize-Sense); default true */
  optimize?: boolean
  maxIterations?: number
  runner?: InterventionRunner
  signal?: AbortSignal
  onProgress?: (p: { profession: string; done: number; total: number }) => void
  /** the sense-table build's progress, when the edits hold a topic edit and the table is not built */
  onTableProgress?: RunCallOptions['onTableProgress']
}

export interface ProfessionBias {
  profession: string
  token: number
  /** mean bias over the test prompts in each setting */
  unmodified: number
  removeSense: number
  optimizeSense?: number
  /** the fitted weight on the sense, and how the fit went */
  w?: number
  fit?: { objective: number; iterations: number; evaluations: number; converged: boolean }
}

/**
 * The IPC view's fields (sense, professions, prompts, edited, and `settings`: the mean over
 * professions of the per-profession mean over test prompts; 1 = unbiased), plus the token ids and
 * each profession's fit.
 */
export interface GenderBiasResult extends Omit<GenderBiasView, 'perProfession'> {
  suite: 'gender-bias'
  tokens: { he: number; she: number }
  perProfession: ProfessionBias[]
}

/**
 * The paper's gender-bias experiment (Hewitt et al. 2023 §6.2, App. D.2; backpack-spec.md §4.4):
 * per prompt, bias = max(p(he)/p(she), p(she)/p(he)) of the next token after the prompt
 * (no BOS) = exp(|logit(he) − logit(she)|), since the softmax normaliser cancels; averaged
 * over the prompts, then over the professions. Settings: the user's edits alone; plus
 * Remove-Sense (scale the profession token's sense by 0); plus Optimize-Sense (scale by the w
 * minimising mean train-prompt bias + |1 − w|, Nelder–Mead from w = 1, as the authors' code
 * fits it with SciPy). Reduction = (unmodified − setting)/(unmodified − 1), the paper's column.
 */
export async function genderBiasSuite(engine: BackpackEngine, options: GenderBiasOptions = {}): Promise<GenderBiasResult> {
  const { numSenses: K, vocabSize: V } = engine.config
  const sense = options.sense ?? Math.min(GENDER_SENSE, K - 1)
  if (!Number.isInteger(sense) || sense < 0 || sense >= K)
    throw new WorkbenchError('bad-request', `sense must be an integer in [0, ${K}) for this ${K}-sense model, got ${sense}`)
  if (Math.max(HE_TOKEN, SHE_TOKEN) >= V)
    throw new WorkbenchError(
      'bad-request',
      `the gender-bias suite needs the GPT-2 vocabulary (" he" = ${HE_TOKEN}, " she" = ${SHE_TOKEN}); this model has ${V} tokens`,
    )
  const tok = gpt2Tokenizer()
  const testPrompts = options.testPrompts ?? GENDER_TEST_PROMPTS
  const trainPrompts = options.trainPrompts ?? GENDER_TRAIN_PROMPTS
  for (const p of [...testPrompts, ...trainPrompts])
    if (!p.includes('PROFESSION')) throw new WorkbenchError('bad-request', `prompt ${JSON.stringify(p)} has no PROFESSION placeholder`)
  const used: { profession: string; token: number }[] = []
  const dropped: { profession: string; tokens: number[] }[] = []
  for (const profession of options.professions ?? PROFESSIONS) {
    const ids = tok.encode(' ' + profession)
    if (ids.length === 1 && ids[0] < V) used.push({ profession, token: ids[0] })
    else dropped.push({ profession, tokens: ids })
  }
  if (used.length === 0) throw new WorkbenchError('bad-request', 'none of the professions is a single token with a leading space')
  const runner = options.runner ?? analysisRunner(engine)
  const base = options.edits ?? null
  const bias = async (prompts: readonly string[], profession: string, edits: ParsedSenseEdits | null) => {
    let sum = 0
    for (const p of prompts) {
      if (options.signal?.aborted) throw new WorkbenchError('cancelled', 'the gender-bias suite was cancelled')
      const [he, she] = await lastPositionLogits(runner, tok.encode(fillProfession(p, profession)), edits, [HE_TOKEN, SHE_TOKEN], {
        signal: options.signal,
        onTableProgress: options.onTableProgress,
      })
      sum += Math.exp(Math.abs(he - she))
    }
    return sum / prompts.length
  }
  const scaled = (token: number, w: number) => composeEdits(engine, base, [{ kind: 'scale-sense', token, sense, factor: w }])
  const perProfession: ProfessionBias[] = []
  for (const [i, { profession, token }] of used.entries()) {
    const row: ProfessionBias = {
      profession,
      token,
      unmodified: await bias(testPrompts, profession, base),
      removeSense: await bias(testPrompts, profession, scaled(token, 0)),
    }
    if (options.optimize ?? true) {
      const fit = await nelderMead1d(async (w) => (await bias(trainPrompts, profession, scaled(token, w))) + Math.abs(1 - w), 1, {
        maxIterations: options.maxIterations,
      })
      row.w = fit.x
      row.fit = { objective: fit.value, iterations: fit.iterations, evaluations: fit.evaluations, converged: fit.converged }
      row.optimizeSense = await bias(testPrompts, profession, scaled(token, fit.x))
    }
    perProfession.push(row)
    options.onProgress?.({ profession, done: i + 1, total: used.length })
  }
  const mean = (f: (r: ProfessionBias) => number) => perProfession.reduce((s, r) => s + f(r), 0) / perProfession.length
  const unmodified = mean((r) => r.unmodified)
  const reduction = (x: number) => (unmodified - x) / (unmodified - 1)
  const removeSense = mean((r) => r.removeSense)
  const settings: GenderBiasResult['settings'] = {
    unmodified: { meanBias: unmodified },
    removeSense: { meanBias: removeSense, reduction: reduction(removeSense) },
  }
  if (options.optimize ?? true) {
    const optimized = mean((r) => r.optimizeSense as number)
    settings.optimizeSense = { meanBias: optimized, reduction: reduction(optimized), meanW: mean((r) => r.w as number) }
  }
  return {
    suite: 'gender-bias',
    sense,
    tokens: { he: HE_TOKEN, she: SHE_TOKEN },
    professions: { used: used.map((u) => u.profession), dropped },
    prompts: { test: testPrompts.length, train: trainPrompts.length },
    settings,
    perProfession,
    edited: (base?.edits.length ?? 0) > 0,
  }
}
