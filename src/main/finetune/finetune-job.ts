import type { FinetuneResponse } from '../../shared/ipc/api-types'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { backgroundFromText, loadBackgroundText } from './background-text'
import { parseCanonicalExamples } from './canonical-examples'
import type { FinetuneEngine } from './finetune-engine'
import { validateFinetuneOptions, type FinetuneOptions } from './finetune-options'
import { runFinetune, type FinetuneProgress } from './run-finetune'

/**
 * A whole fine-tuning run as one serialisable request: the examples file's text, the settings,
 * where the background text comes from, a name for the edit document. It runs where the model's
 * sessions are (the engine worker, see finetune-in-worker.ts), so tokenizing, the forward passes
 * and every training step stay off the thread that answers requests; what comes back is the
 * API's `FinetuneResponse`.
 */
export interface FinetuneJob {
  /** the canonical examples, JSON lines (canonical-examples.ts) */
  examples: string
  options: FinetuneOptions
  /** a file to read, text as given, or (absent) the bundled demo's held-out text */
  background?: { path: string } | { text: string; source: string }
  /** the edit document's name */
  name?: string
}

export interface FinetuneJobOptions {
  signal?: AbortSignal
  onProgress?: (p: FinetuneProgress) => void
}

export async function runFinetuneJob(engine: FinetuneEngine, job: FinetuneJob, o: FinetuneJobOptions = {}): Promise<FinetuneResponse> {
  const { config } = engine
  const options = validateFinetuneOptions(job.options, config.numSenses)
  const tok = gpt2Tokenizer()
  const examples = parseCanonicalExamples(job.examples, {
    loss: options.loss,
    tokenize: (s) => tok.encode(s),
    nPositions: config.nPositions,
    vocabSize: config.vocabSize,
  })
  const bg = job.background
  const background =
    bg === undefined
      ? await loadBackgroundText(undefined)
      : 'path' in bg
        ? await loadBackgroundText(bg.path)
        : backgroundFromText(bg.text, bg.source)
  const r = await runFinetune(engine, { examples, background, options, signal: o.signal, onProgress: o.onProgress, name: job.name })
  return {
    contentHash: engine.contentHash,
    loss: options.loss,
    selected: r.selected.map((s) => ({
      token: s.token,
      text: tok.tokenText(s.token),
      sense: s.sense,
      score: s.score,
      suffixMass: s.suffixMass,
      backgroundMass: s.backgroundMass,
      lines: s.lines,
    })),
    before: r.before,
    after: r.after,
    epochKept: r.epochKept,
    backgroundNllLimit: r.backgroundNllLimit,
    history: r.history,
    examples: examples.map((e) => ({ line: e.line, prefix: tok.decode(e.prefix), suffixes: e.suffixes.map((s) => tok.decode(s)) })),
    document: r.document,
    background: r.background,
    timingsMs: r.timingsMs,
  }
}
