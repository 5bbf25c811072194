import { randomInt } from 'node:crypto'
import { WorkbenchError } from '../../shared/errors'
import {
  checkGenerationSetting,
  describeRange,
  GENERATION_LIMITS,
  samplingSettingsGiven,
  SEED_MAX,
  type SamplingOnlySetting,
} from '../../shared/generation-settings'
import { parseFlags, type CliCommand } from '../cli-command'
import { EDITS_FLAG, ENGINE_FLAGS, PROMPT_FLAGS, intFlag, promptRequest } from './analysis-engine'
import { callAndSave, editsRequest, SAVE_FLAGS, saveTarget, withWorkbench } from './cli-workbench'

/**
 * `generate (--text "…" | --ids 1,2) [--max-new 32] [--greedy | --temperature T --top-k K
 * --top-p P] [--seed S] [--edits FILE] [--compare] [--attribute] [--full-recompute]
 * [--speculate N]`: greedy unless a sampling flag is given; `--speculate` sets the prompt-lookup
 * guesses per step (default 4, 0 = one token per GPT-2 step; the text is the same either way); with sampling and no --seed a random seed is drawn
 * and printed, so every run can be repeated. `--compare` prints baseline and edited side by
 * side with the same seed. generate.run through the handler table (which always decodes the
 * baseline and, with edits, the edited side: without --compare the edited one is printed);
 * --save-new NAME / --save ID record the pair as a run.
 */
export const generate: CliCommand = {
  details: [
    'Greedy unless a sampling flag (--temperature, --top-k, --top-p, --seed) is given; --greedy with one is refused.',
    'The same ranges hold for generate.run in the app and serve (src/shared/generation-settings.ts).',
  ].join('\n'),
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      ...PROMPT_FLAGS,
      'max-new': {
        type: 'string',
        arg: 'N',
        description: `new tokens, integer in ${describeRange('maxNewTokens')}; prompt + new tokens stop at 512 positions`,
        defaultText: String(GENERATION_LIMITS.maxNewTokens.default),
      },
      greedy: { type: 'boolean', description: 'always take the most likely token (the default without sampling flags)' },
      temperature: {
        type: 'string',
        arg: 'T',
        description: `number in ${describeRange('temperature')}`,
        defaultText: String(GENERATION_LIMITS.temperature.default),
      },
      'top-k': {
        type: 'string',
        arg: 'K',
        description: `sample from the K most likely tokens, integer in ${describeRange('topK')}`,
        defaultText: 'all tokens',
      },
      'top-p': { type: 'string', arg: 'P', description: `nucleus sampling mass, number in ${describeRange('topP')}`, defaultText: '1' },
      seed: {
        type: 'string',
        arg: 'S',
        description: `integer in ${describeRange('seed')}`,
        defaultText: 'drawn at random, printed in decoding.seed',
      },
      ...EDITS_FLAG,
      compare: { type: 'boolean', description: 'print the baseline and the --edits run side by side, same seed' },
      attribute: { type: 'boolean', description: 'attribute each new token to (position, sense) contributions' },
      'full-recompute': {
        type: 'boolean',
        description: 'recompute the whole prefix each step instead of reusing cached states (same text)',
      },
      speculate: {
        type: 'string',
        arg: 'N',
        description: 'prompt-lookup guesses per step; 0 = one token per step (same text either way)',
        defaultText: '4',
      },
      ...SAVE_FLAGS,
    })
    const L = GENERATION_LIMITS
    const maxNewTokens = intFlag(values['max-new'], 'max-new', L.maxNewTokens.default, L.maxNewTokens.min, L.maxNewTokens.max)
    const sampling = samplingSettingsGiven({
      temperature: values.temperature,
      topK: values['top-k'],
      topP: values['top-p'],
      seed: values.seed,
    }).map((name) => FLAG[name])
    if (values.greedy && sampling.length > 0)
      throw new WorkbenchError('bad-request', `--greedy cannot be combined with sampling flags (${sampling.join(', ')})`)
    if (values.compare && values.edits === undefined)
      throw new WorkbenchError('bad-request', '--compare needs --edits FILE (the edited side)')
    const strategy = sampling.length > 0 ? ('sample' as const) : ('greedy' as const)
    const settings = {
      ...promptRequest(values),
      maxNewTokens,
      strategy,
      ...(strategy === 'sample'
        ? {
            temperature: checkGenerationSetting(
              'temperature',
              numberFlag(values.temperature, 'temperature', L.temperature.default),
              '--temperature',
            ),
            ...(values['top-k'] !== undefined ? { topK: intFlag(values['top-k'], 'top-k', 0, L.topK.min, L.topK.max) } : {}),
            ...(values['top-p'] !== undefined
              ? { topP: checkGenerationSetting('topP', numberFlag(values['top-p'], 'top-p', 1), '--top-p') }
              : {}),
            seed: values.seed !== undefined ? intFlag(values.seed, 'seed', 0, L.seed.min, L.seed.max) : randomInt(SEED_MAX + 1),
          }
        : {}),
      attribute: values.attribute ?? false,
      ...(values['full-recompute'] ? { recompute: 'full' as const } : {}),
      ...(values.speculate !== undefined ? { speculate: intFlag(values.speculate, 'speculate', 4, 0, 64) } : {}),
    }
    const target = saveTarget(values)
    return withWorkbench(values, async (wb) => {
      const edits = await editsRequest(wb, values.edits, io)
      const { response: g, saved } = await callAndSave(wb, 'generate.run', { ...settings, ...(edits ? { edits } : {}) }, target)
      const s = saved ? { saved } : {}
      if (values.compare)
        return { contentHash: g.contentHash, baseline: g.baseline, edited: g.edited, firstDifference: g.firstDifference, ...s }
      return { contentHash: g.contentHash, ...(g.edited ?? g.baseline), ...s }
    })
  },
}

const FLAG: Record<SamplingOnlySetting, string> = { temperature: '--temperature', topK: '--top-k', topP: '--top-p', seed: '--seed' }

/** A finite number flag with a default. */
export function numberFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n))
    throw new WorkbenchError('bad-request', `--${flag} must be a number, got ${JSON.stringify(value)}`)
  return n
}
