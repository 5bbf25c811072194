import { randomInt } from 'node:crypto'
import { WorkbenchError } from '../../shared/errors'
import { generate as generateText } from '../../main/generation/generate'
import { generateCompare } from '../../main/generation/generate-compare'
import { analysisRunner } from '../../main/interventions/apply-sense-edits'
import { parseFlags, type CliCommand } from '../cli-command'
import { editsFlag, ENGINE_FLAGS, intFlag, promptFlag, tableProgress, withEngine } from './analysis-engine'

/**
 * `generate (--text "…" | --ids 1,2) [--max-new 32] [--greedy | --temperature T --top-k K
 * --top-p P] [--seed S] [--edits FILE] [--compare] [--attribute] [--full-recompute]
 * [--speculate N]`: greedy unless a sampling flag is given; `--speculate` sets the prompt-lookup
 * guesses per step (default 4, 0 = one token per GPT-2 step; the text is the same either way); with sampling and no --seed a random seed is drawn
 * and printed, so every run can be repeated. `--compare` prints baseline and edited side by
 * side with the same seed.
 */
export const generate: CliCommand = {
  summary: 'Generate text (greedy or seeded sampling), optionally under --edits FILE; --compare shows baseline and edited',
  async run(args, io) {
    const { values } = parseFlags(args, {
      ...ENGINE_FLAGS,
      text: { type: 'string' },
      ids: { type: 'string' },
      'max-new': { type: 'string' },
      greedy: { type: 'boolean' },
      temperature: { type: 'string' },
      'top-k': { type: 'string' },
      'top-p': { type: 'string' },
      seed: { type: 'string' },
      edits: { type: 'string' },
      compare: { type: 'boolean' },
      attribute: { type: 'boolean' },
      'full-recompute': { type: 'boolean' },
      speculate: { type: 'string' },
    })
    const ids = promptFlag(values)
    const maxNewTokens = intFlag(values['max-new'], 'max-new', 32, 0, 512)
    const sampling = ['temperature', 'top-k', 'top-p', 'seed'].filter((f) => values[f as keyof typeof values] !== undefined)
    if (values.greedy && sampling.length > 0) throw new WorkbenchError('bad-request', `--greedy cannot be combined with sampling flags (${sampling.map((f) => '--' + f).join(', ')})`)
    if (values.compare && values.edits === undefined) throw new WorkbenchError('bad-request', '--compare needs --edits FILE (the edited side)')
    const strategy = sampling.length > 0 ? ('sample' as const) : ('greedy' as const)
    const settings = {
      ids,
      maxNewTokens,
      strategy,
      ...(strategy === 'sample'
        ? {
            temperature: numberFlag(values.temperature, 'temperature', 1),
            ...(values['top-k'] !== undefined ? { topK: intFlag(values['top-k'], 'top-k', 0, 1, 50264) } : {}),
            ...(values['top-p'] !== undefined ? { topP: numberFlag(values['top-p'], 'top-p', 1) } : {}),
            seed: values.seed !== undefined ? intFlag(values.seed, 'seed', 0, 0, Number.MAX_SAFE_INTEGER) : randomInt(2 ** 32),
          }
        : {}),
      attribute: values.attribute ?? false,
      recompute: values['full-recompute'] ? ('full' as const) : ('incremental' as const),
      ...(values.speculate !== undefined ? { speculate: intFlag(values.speculate, 'speculate', 4, 0, 64) } : {}),
    }
    return withEngine(values, async (engine) => {
      const edits = await editsFlag(engine, values.edits, io)
      const runner = analysisRunner(engine, { onTableProgress: tableProgress(io) })
      if (values.compare) return { contentHash: engine.contentHash, ...(await generateCompare(engine, { ...settings, edits, runner })) }
      return { contentHash: engine.contentHash, ...(await generateText(engine, { ...settings, edits, runner })) }
    })
  },
}

/** A finite number flag with a default. */
export function numberFlag(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (value.trim() === '' || !Number.isFinite(n)) throw new WorkbenchError('bad-request', `--${flag} must be a number, got ${JSON.stringify(value)}`)
  return n
}
