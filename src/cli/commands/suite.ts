import { readFile } from 'node:fs/promises'
import { WorkbenchError } from '../../shared/errors'
import { SEED_MAX, TOPIC_SUITE_LIMITS } from '../../shared/generation-settings'
import { parseFlags, parseIntList, type CliCommand } from '../cli-command'
import { EDITS_FLAG, ENGINE_FLAGS, intFlag, tableProgress } from './analysis-engine'
import { callAndSave, editsRequest, SAVE_FLAGS, saveTarget, withWorkbench } from './cli-workbench'

const SUITES = ['gender-bias', 'topic', 'knowledge-edit'] as const
const T = TOPIC_SUITE_LIMITS

/** Which flags each suite reads (others are refused, so a typo never runs the wrong setting). */
const SUITE_FLAGS: Record<(typeof SUITES)[number], readonly string[]> = {
  'gender-bias': ['professions', 'sense', 'skip-optimize', 'max-iterations'],
  topic: ['topics', 'words', 'prompt-ids', 'strengths', 'samples', 'max-new', 'seed', 'no-texts'],
  'knowledge-edit': ['heldout', 'max-heldout-tokens'],
}

/**
 * `suite gender-bias|topic|knowledge-edit [--edits FILE] [suite options] [--checkpoint DIR]`:
 * the paper's experiments (docs/generation-and-suites.md), on top of the user's edits, as JSON.
 *   gender-bias:    --professions nurse,CEO  --sense 10  --skip-optimize  --max-iterations 200
 *   topic:          --topics music,sports  --words w1,w2 (an extra bag "custom")  --strengths 0,1,2,3
 *                   --samples 2  --max-new 30  --seed 0  --no-texts  --prompt-ids 50256
 *   knowledge-edit: --heldout FILE  --max-heldout-tokens 512
 * Each runs through the handler table (suites.genderBias / suites.topic / suites.knowledgeEdit);
 * --save-new NAME / --save ID record the result as a run.
 */
export const suite: CliCommand = {
  details: [
    'Each suite takes only its own flags (marked gender-bias:, topic:, knowledge-edit:) besides --checkpoint, --onnx, --provider, --edits and the save flags (--save-new, --save, --db).',
    'The topic ranges are those of suites.topic in the app and serve (src/shared/generation-settings.ts).',
  ].join('\n'),
  async run(args, io) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...ENGINE_FLAGS,
        ...EDITS_FLAG,
        professions: {
          type: 'string',
          description: 'gender-bias: comma-separated professions (one token with a leading space)',
          defaultText: "the paper's 40",
        },
        sense: { type: 'string', description: 'gender-bias: the sense to intervene on', defaultText: 'min(10, senses - 1)' },
        'skip-optimize': { type: 'boolean', description: 'gender-bias: skip fitting w per profession (Optimize-Sense)' },
        'max-iterations': {
          type: 'string',
          description: 'gender-bias: Optimize-Sense iterations per profession, 1..10000',
          defaultText: '200',
        },
        topics: { type: 'string', description: 'topic: comma-separated built-in topics', defaultText: 'all 17' },
        words: { type: 'string', description: 'topic: comma-separated words, an extra topic named custom' },
        'prompt-ids': {
          type: 'string',
          description: 'topic: the prompt as comma-separated token ids',
          defaultText: '50256 (<|endoftext|>)',
        },
        strengths: { type: 'string', description: 'topic: comma-separated strengths from 0..3', defaultText: '0,1,2,3' },
        samples: {
          type: 'string',
          arg: 'N',
          description: `topic: generations per topic and strength, integer in [${T.samples.min}, ${T.samples.max}] (the paper: 500)`,
          defaultText: String(T.samples.default),
        },
        'max-new': {
          type: 'string',
          arg: 'N',
          description: `topic: new tokens per generation, integer in [${T.maxNewTokens.min}, ${T.maxNewTokens.max}]; prompt + new tokens stop at 512`,
          defaultText: String(T.maxNewTokens.default),
        },
        seed: {
          type: 'string',
          arg: 'S',
          description: `topic: sample s uses seed S + s, so S + samples − 1 must be ≤ ${SEED_MAX}`,
          defaultText: '0',
        },
        'no-texts': { type: 'boolean', description: 'topic: leave the generated texts out of the JSON' },
        heldout: {
          type: 'string',
          description: 'knowledge-edit: held-out text file for the perplexity check',
          defaultText: 'the demo held-out text',
        },
        'max-heldout-tokens': { type: 'string', description: 'knowledge-edit: held-out tokens used, 2..1000000', defaultText: '512' },
        ...SAVE_FLAGS,
      },
      true,
    )
    const name = positionals[0]
    if (positionals.length !== 1 || !SUITES.includes(name as (typeof SUITES)[number])) {
      throw new WorkbenchError('bad-request', `give one suite name: ${SUITES.join(', ')}; got ${JSON.stringify(positionals.join(' '))}`)
    }
    const which = name as (typeof SUITES)[number]
    const foreign = Object.keys(values).filter(
      (k) => !['checkpoint', 'onnx', 'provider', 'edits', 'save-new', 'save', 'db'].includes(k) && !SUITE_FLAGS[which].includes(k),
    )
    if (foreign.length > 0)
      throw new WorkbenchError(
        'bad-request',
        `suite ${which} does not take ${foreign.map((f) => '--' + f).join(', ')}; it takes ${SUITE_FLAGS[which].map((f) => '--' + f).join(', ')}`,
      )
    const list = (v: string | undefined) =>
      v
        ?.split(',')
        .map((s) => s.trim())
        .filter((s) => s.length > 0)
    const heldoutText = values.heldout !== undefined ? await readText(values.heldout) : undefined
    const flags = values
    const target = saveTarget(values)
    const settings =
      which === 'gender-bias'
        ? {
            ...(flags.professions !== undefined ? { professions: list(flags.professions) } : {}),
            ...(flags.sense !== undefined ? { sense: intFlag(flags.sense, 'sense', 0, 0, 1023) } : {}),
            optimize: !flags['skip-optimize'],
            ...(flags['max-iterations'] !== undefined
              ? { maxIterations: intFlag(flags['max-iterations'], 'max-iterations', 200, 1, 10_000) }
              : {}),
          }
        : which === 'topic'
          ? {
              ...(flags.topics !== undefined ? { topics: list(flags.topics) } : {}),
              ...(flags.words !== undefined ? { words: list(flags.words) } : {}),
              ...(flags['prompt-ids'] !== undefined ? { promptIds: parseIntList(flags['prompt-ids'], 'prompt-ids') } : {}),
              ...(flags.strengths !== undefined ? { strengths: parseIntList(flags.strengths, 'strengths') } : {}),
              samples: intFlag(flags.samples, 'samples', T.samples.default, T.samples.min, T.samples.max),
              maxNewTokens: intFlag(flags['max-new'], 'max-new', T.maxNewTokens.default, T.maxNewTokens.min, T.maxNewTokens.max),
              seed: intFlag(flags.seed, 'seed', 0, 0, SEED_MAX),
              ...(flags['no-texts'] ? { includeTexts: false } : {}),
            }
          : {
              ...(heldoutText !== undefined ? { heldoutText } : {}),
              ...(flags['max-heldout-tokens'] !== undefined
                ? { maxHeldoutTokens: intFlag(flags['max-heldout-tokens'], 'max-heldout-tokens', 512, 2, 1_000_000) }
                : {}),
            }
    const method = METHOD[which]
    return withWorkbench(values, async (wb) => {
      const edits = await editsRequest(wb, values.edits, io)
      // a topic edit among the edits needs the table with its scores: opened first, with progress
      if (edits?.edits.some((e) => e.kind === 'topic')) await wb.session!.senseTable({ need: 'scores', onProgress: tableProgress(io) })
      const stop = wb.events.subscribe((e) => {
        if (e.name === 'run.progressed' && e.payload.runId === RUN_ID)
          io.stderr.write(`${which}: ${e.payload.message ?? ''} (${e.payload.done}/${e.payload.total})\n`)
      })
      try {
        const { response, saved } = await callAndSave(
          wb,
          method,
          { ...settings, ...(edits ? { edits } : {}), runId: RUN_ID } as never,
          target,
        )
        return { ...(response as object), editsFile: values.edits ?? null, ...(saved ? { saved } : {}) }
      } finally {
        stop()
      }
    })
  },
}

/** The run id the CLI gives its suite call (its progress events carry it). */
const RUN_ID = 'cli-suite'
const METHOD = { 'gender-bias': 'suites.genderBias', topic: 'suites.topic', 'knowledge-edit': 'suites.knowledgeEdit' } as const

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8')
  } catch (e) {
    throw new WorkbenchError('not-found', `cannot read the held-out text ${path}: ${(e as Error).message}`, { cause: e })
  }
}
