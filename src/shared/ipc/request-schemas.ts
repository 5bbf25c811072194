import * as z from 'zod'
import { GENERATION_LIMITS as GEN, samplingSettingsGiven, TOPIC_SUITE_LIMITS as TOPIC } from '../generation-settings'
import { WORD_POLICIES } from '../word-policy'
import { FINETUNE_DEFAULTS as FT, FINETUNE_LOSSES } from '../finetune/finetune-settings'
import { senseEditDocumentSchema } from './edit-schemas'

/**
 * One validator per API method: every request is untrusted input (design.md §1). The request
 * types of the contract are inferred from these, so a request type and its check cannot drift.
 * Objects are strict: an unknown field is a `bad-request`, not silently dropped.
 */
const text = z.string().max(100_000)
const tokenId = z.int().min(0).max(1_000_000)
const topK = z.int().min(1).max(1000)
const runId = z.string().min(1).max(100).optional()
/** how senses.lookup, neighbours and reverse treat tokens with bit-identical embedding rows */
const ties = z.enum(['show', 'collapse']).default('collapse')
const experimentId = z.int().min(1)
const tag = z.string().min(1).max(100)
const tokenRef = z.union([tokenId, z.string().min(1).max(200)])
const edits = senseEditDocumentSchema.optional()
const empty = z.strictObject({})
const redisUrl = z.string().min(1).max(2000)
const queueName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,100}$/, 'letters, digits, "_", "." or "-"')
  .default('backpack-sweeps')
const sweepId = z.string().regex(/^sw[0-9a-z]{1,40}$/, 'a sweep id (sw…)')
/** a prompt as token ids: the alternative to its text (the CLI's --ids), at most the text's length */
const ids = z.array(tokenId).min(1).max(100_000).optional()
/** exactly one of text and ids */
const onePrompt = (r: { text?: string; ids?: number[] }) => (r.text === undefined) !== (r.ids === undefined)
const onePromptIssue = { message: 'give exactly one of text (the prompt) and ids (its token ids)', path: ['text'] }

/** The methods whose calls can be saved as experiment runs (experiments.saveRun), one run kind each. */
export const SAVEABLE_METHODS = [
  'predict.next',
  'predict.attribute',
  'generate.run',
  'suites.genderBias',
  'suites.knowledgeEdit',
  'suites.topic',
  'senses.lookup',
  'senses.neighbours',
  'senses.reverse',
  'evaluate.run',
] as const
export type SaveableMethod = (typeof SAVEABLE_METHODS)[number]

export const REQUEST_SCHEMAS = {
  'app.info': empty,
  'model.info': empty,
  'model.load': z.strictObject({ checkpoint: z.string().min(1).max(4096).optional(), runId }),
  'model.recent': empty,
  'model.selfCheck': z.strictObject({ runId }),
  'hub.download': z.strictObject({
    repo: z.string().min(3).max(200),
    revision: z.string().min(1).max(200).optional(),
    /** load the checkpoint into the workbench when the download finishes */
    load: z.boolean().default(true),
  }),
  'hub.cancel': z.strictObject({ jobId: z.string().min(1).max(100) }),
  'hub.cached': z.strictObject({ repo: z.string().min(3).max(200), revision: z.string().min(1).max(200).optional() }),
  'tokens.encode': z.strictObject({ text }),
  // text or ids: exactly one (the handlers refuse both or neither as a bad-request; plain objects
  // here, so other schemas can be derived from these with .omit/.extend)
  'predict.next': z.strictObject({ text: text.min(1).optional(), ids, topK: topK.default(10), edits }),
  'predict.attribute': z.strictObject({
    text: text.min(1).optional(),
    ids,
    position: z.int().min(0),
    target: tokenRef,
    edits,
  }),
  // the ranges are the CLI's too (src/shared/generation-settings.ts); sampling-only settings with
  // greedy decoding are refused, as the CLI refuses --greedy with a sampling flag
  'generate.run': z
    .strictObject({
      text: text.min(1).optional(),
      ids,
      maxNewTokens: z.int().min(GEN.maxNewTokens.min).max(GEN.maxNewTokens.max).default(GEN.maxNewTokens.default),
      strategy: z.enum(['greedy', 'sample']).default('greedy'),
      temperature: z.number().gt(GEN.temperature.min).max(GEN.temperature.max).optional(),
      topK: z.int().min(GEN.topK.min).max(GEN.topK.max).optional(),
      topP: z.number().gt(GEN.topP.min).max(GEN.topP.max).optional(),
      seed: z.int().min(GEN.seed.min).max(GEN.seed.max).optional(),
      // prompt-lookup guesses per step (0: one token per step) and full recomputation of the prefix
      // each step: both change only the speed, never the tokens (as the CLI's --speculate, --full-recompute)
      speculate: z.int().min(0).max(64).optional(),
      recompute: z.enum(['incremental', 'full']).optional(),
      // each token's dominant (source token, sense); default true (without it, speculation can run)
      attribute: z.boolean().optional(),
      edits,
      runId,
    })
    .superRefine((r, ctx) => {
      if (!onePrompt(r)) ctx.addIssue({ code: 'custom', ...onePromptIssue })
      if (r.strategy !== 'greedy') return
      for (const name of samplingSettingsGiven(r)) {
        ctx.addIssue({
          code: 'custom',
          path: [name],
          message: `${name} is a sampling setting and strategy is "greedy" (the default), which would ignore it; set strategy "sample" or leave ${name} out`,
        })
      }
    }),
  'suites.genderBias': z.strictObject({
    sense: z.int().min(0).max(1023).optional(),
    optimize: z.boolean().default(true),
    // the professions to test (one token each with a leading space; default the paper's 40) and
    // the Optimize-Sense iterations per profession (as the CLI's --professions, --max-iterations)
    professions: z.array(z.string().min(1).max(100)).min(1).max(1000).optional(),
    maxIterations: z.int().min(1).max(10_000).optional(),
    edits,
    runId,
  }),
  'predict.contextualization': z.strictObject({ text: text.min(1), sense: z.int().min(0).max(1023) }),
  // the full pass's three arrays (the CLI's `forward`); truncate: keep the first n_positions
  // tokens of a longer prompt instead of refusing it (`too-long`)
  'predict.forward': z.strictObject({ text: text.min(1).optional(), ids, edits, truncate: z.boolean().default(false) }),
  // heldoutText: the held-out text of the perplexity check (default: the demo's), as the CLI's --heldout FILE
  'suites.knowledgeEdit': z.strictObject({
    heldoutText: z.string().min(1).max(10_000_000).optional(),
    maxHeldoutTokens: z.int().min(2).max(1_000_000).optional(),
    edits,
    runId,
  }),
  'suites.topic': z.strictObject({
    topics: z.array(z.string().min(1).max(100)).min(1).max(17).optional(),
    // the CLI's `suite topic` ranges too (src/shared/generation-settings.ts)
    samples: z.int().min(TOPIC.samples.min).max(TOPIC.samples.max).default(TOPIC.samples.default),
    maxNewTokens: z.int().min(TOPIC.maxNewTokens.min).max(TOPIC.maxNewTokens.max).default(TOPIC.maxNewTokens.default),
    seed: z.int().min(GEN.seed.min).max(GEN.seed.max).default(0),
    // an extra topic "custom" of these words, the strengths, the prompt's ids and whether the
    // generated texts are kept (as the CLI's --words, --strengths, --prompt-ids, --no-texts)
    words: z.array(z.string().min(1).max(100)).min(1).max(1000).optional(),
    strengths: z.array(z.int().min(0).max(3)).min(1).max(4).optional(),
    promptIds: z.array(tokenId).min(1).max(512).optional(),
    includeTexts: z.boolean().optional(),
    edits,
    runId,
  }),
  // policy: how a multi-token word is handled, as the CLI's `senses --policy` (default first)
  // ties: tokens with bit-identical embedding rows as one labelled entry ('collapse') or each shown ('show')
  // rawSpacing: the word exactly as given (no leading space added); bins: of each sense's score
  // histogram; vectors: the sense vectors themselves too (as the CLI's --raw-spacing, --bins, --vectors)
  'senses.lookup': z.strictObject({
    word: z.string().min(1).max(200),
    topK: topK.default(10),
    policy: z.enum(WORD_POLICIES).optional(),
    ties,
    rawSpacing: z.boolean().optional(),
    bins: z.int().min(1).max(1000).optional(),
    vectors: z.boolean().optional(),
  }),
  'senses.neighbours': z.strictObject({
    word: z.string().min(1).max(200),
    sense: z.union([z.literal('min'), z.int().min(0).max(1023)]).default('min'),
    topK: topK.default(10),
    policy: z.enum(WORD_POLICIES).optional(),
    ties,
    rawSpacing: z.boolean().optional(),
  }),
  'senses.reverse': z.strictObject({
    token: tokenRef,
    direction: z.enum(['boost', 'suppress']).default('boost'),
    topK: topK.default(20),
    ties,
    runId,
  }),
  'edits.validate': z.strictObject({ document: z.unknown() }),
  'edits.blastRadius': z.strictObject({
    document: senseEditDocumentSchema,
    pairs: z
      .array(z.strictObject({ a: tokenRef, b: tokenRef }))
      .min(1)
      .max(100),
    runId,
  }),
  'experiments.list': z.strictObject({
    search: z.string().max(500).optional(),
    tag: tag.optional(),
    limit: z.int().min(1).max(1000).default(100),
    offset: z.int().min(0).default(0),
  }),
  'experiments.get': z.strictObject({ id: experimentId }),
  'experiments.save': z.strictObject({
    name: z.string().min(1).max(500),
    notes: z.string().max(100_000).default(''),
    tags: z.array(tag).max(100).default([]),
    edits: senseEditDocumentSchema,
    prompt: text.optional(),
  }),
  'experiments.update': z.strictObject({
    id: experimentId,
    name: z.string().min(1).max(500).optional(),
    notes: z.string().max(100_000).optional(),
    tags: z.array(tag).max(100).optional(),
    edits: edits,
  }),
  'experiments.fork': z.strictObject({ id: experimentId, name: z.string().min(1).max(500).optional() }),
  'experiments.delete': z.strictObject({ id: experimentId }),
  'experiments.compare': z.strictObject({
    ids: z.array(experimentId).min(1).max(1000),
    diffOnly: z.boolean().default(true),
  }),
  'experiments.exportTable': z.strictObject({
    ids: z.array(experimentId).min(1).max(1000),
    diffOnly: z.boolean().default(true),
    format: z.enum(['csv', 'md', 'latex', 'json']),
  }),
  // a stored run's arrays as one .npz (numpy) with an index of what each holds
  'experiments.exportArrays': z.strictObject({ runId: z.int().min(1) }),
  'evaluate.run': z.strictObject({
    // the corpus: named texts (a file each); every token after a window's first is scored
    documents: z
      .array(z.strictObject({ name: z.string().min(1).max(500), text: z.string().min(1).max(1_000_000) }))
      .min(1)
      .max(1000),
    edits,
    runId,
  }),
  // runs one saveable method (its request validated by that method's schema) and records the
  // call as a run: in the experiment `experimentId` (whose edits must equal the request's) or in a
  // new experiment called `name` holding the request's edits (none: a baseline)
  'experiments.saveRun': z
    .strictObject({
      method: z.enum(SAVEABLE_METHODS),
      request: z.record(z.string(), z.unknown()),
      experimentId: experimentId.optional(),
      name: z.string().min(1).max(500).optional(),
      notes: z.string().max(100_000).default(''),
      tags: z.array(tag).max(100).default([]),
    })
    .refine((r) => (r.experimentId === undefined) !== (r.name === undefined), {
      message: 'give exactly one of experimentId (add to it) and name (a new experiment)',
    }),
  // sense fine-tuning on canonical examples (JSON lines); the ranges of lr and maxDegradation
  // are checked with the other settings on the engine side, so every door gets the same errors
  'finetune.run': z.strictObject({
    examples: z.string().max(4 * 1024 * 1024),
    loss: z.enum(FINETUNE_LOSSES).default('nll'),
    sensesPerExample: z.int().min(1).max(256).default(FT.sensesPerExample),
    lambda: z.number().min(0).default(FT.lambda),
    lr: z.number().default(FT.lr),
    klWeight: z.number().min(0).default(FT.klWeight),
    epochs: z.int().min(1).max(10_000).default(FT.epochs),
    batchSize: z.int().min(1).max(100_000).optional(),
    maxDegradation: z.number().optional(),
    seed: z
      .int()
      .min(0)
      .max(2 ** 32 - 1)
      .default(FT.seed),
    // general text for the KL term and the ball (default: the bundled demo's held-out text)
    background: z
      .string()
      .min(1)
      .max(8 * 1024 * 1024)
      .optional(),
    name: z.string().min(1).max(500).optional(),
    runId,
  }),
  'run.cancel': z.strictObject({ runId: z.string().min(1).max(100) }),
  // sweeps over a Redis queue (src/main/sweep): the document is a backpack-sweep one, validated by its parser
  'sweeps.submit': z.strictObject({ redis: redisUrl, queue: queueName, document: z.unknown() }),
  'sweeps.list': z.strictObject({ redis: redisUrl, queue: queueName }),
  'sweeps.status': z.strictObject({ redis: redisUrl, queue: queueName, sweepId }),
  'sweeps.cancel': z.strictObject({ redis: redisUrl, queue: queueName, sweepId, waitMs: z.int().min(0).max(60_000).default(5000) }),
} as const

export type RequestSchemas = typeof REQUEST_SCHEMAS
