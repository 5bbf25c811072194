import { WorkbenchError } from '../../shared/errors'
import { resolveModelSource } from '../../main/runtime/model-source'
import type { SenseTableProgress } from '../../main/senses/sense-table'
import { ModelSession } from '../../main/session/model-session'
import { parseIntList, type CliIo } from '../cli-command'

export { EDITS_FLAG, ENGINE_FLAGS, PROMPT_FLAGS } from './engine-flags'

/**
 * Opens the model session named by --checkpoint/--onnx (default: the bundled demo) — the same
 * session object the app and `serve` hold per loaded checkpoint — runs fn, disposes it.
 */
export async function withSession<T>(
  flags: { checkpoint?: string; onnx?: string; provider?: string },
  fn: (session: ModelSession) => Promise<T>,
): Promise<T> {
  const session = await ModelSession.open(resolveModelSource(flags), { provider: flags.provider })
  try {
    return await fn(session)
  } finally {
    await session.dispose()
  }
}

/**
 * A token flag as a request's token reference: digits are a token id, anything else the token's
 * text as given (e.g. " she"). Only the flag's syntax is read here; the handlers' resolver
 * (resolveTokenRef in src/main/workbench/resolve-prompt.ts) checks the vocabulary and that the
 * text is one token.
 */
export function tokenRefFlag(value: string | undefined, flag: string): number | string {
  if (value === undefined || value === '')
    throw new WorkbenchError('bad-request', `--${flag} is required: a token id or a single-token string such as " she"`)
  return /^\d+$/.test(value) ? Number(value) : value
}

/** A positive integer flag with a default and an upper limit. */
export function intFlag(value: string | undefined, flag: string, fallback: number, min = 1, max = 100_000): number {
  if (value === undefined) return fallback
  const n = Number(value)
  if (!/^-?\d+$/.test(value) || n < min || n > max)
    throw new WorkbenchError('bad-request', `--${flag} must be an integer in [${min}, ${max}], got ${JSON.stringify(value)}`)
  return n
}

/**
 * The prompt of --text / --ids as a request's `text` / `ids`, as given: the handlers' one prompt
 * resolution (resolvePrompt in src/main/workbench/resolve-prompt.ts) refuses both or neither, a
 * blank or malformed text, ids outside the vocabulary and prompts longer than the model takes.
 * Only the --ids list's syntax is read here.
 */
export function promptRequest(values: { text?: string; ids?: string }): { text?: string; ids?: number[] } {
  return {
    ...(values.text !== undefined ? { text: values.text } : {}),
    ...(values.ids !== undefined ? { ids: parseIntList(values.ids, 'ids') } : {}),
  }
}

/** What each phase of the sense table builds, for the first-build warning. */
const TABLE_PHASE: Record<SenseTableProgress['phase'], string> = {
  senses: 'the sense vectors of the whole vocabulary',
  scores: 'the sense vectors and score extremes (max/min of E·C over the vocabulary) of every token',
}

/** Once a build has run this long, its remaining time is estimated and announced. */
const WARN_AFTER_MS = 3000

/**
 * Sense-table build progress as stderr lines, about every 10%. A build still running after
 * WARN_AFTER_MS first gets one line saying what is being built, about how long the rest takes at
 * this size (extrapolated from the progress so far) and that the table is kept for next time;
 * a table already built reports nothing. `now` is the clock (tests pass their own).
 */
export function tableProgress(io: CliIo, now: () => number = () => performance.now()): (p: SenseTableProgress) => void {
  let last = -1
  let quiet = false
  let start: { t: number; done: number; phase: SenseTableProgress['phase'] } | undefined
  let warned = false
  return (p) => {
    if (last === -1 && p.done === p.total) quiet = true // already built: nothing to report
    if (quiet) return
    if (!p.heldBy) {
      if (start?.phase !== p.phase) start = { t: now(), done: p.done, phase: p.phase }
      else if (!warned && p.done > start.done && p.done < p.total && now() - start.t >= WARN_AFTER_MS) {
        warned = true
        const msPerToken = (now() - start.t) / (p.done - start.done)
        io.stderr.write(
          `sense table: building ${TABLE_PHASE[p.phase]} (${p.total} tokens) on first use of this checkpoint: ` +
            `about ${roughDuration(msPerToken * (p.total - p.done))} more at this size; it is kept in the cache, so later runs skip this\n`,
        )
      }
    }
    const tenth = Math.floor((10 * p.done) / p.total)
    if (tenth === last) return
    last = tenth
    const by = p.heldBy ? ` (built by process ${p.heldBy.pid} on ${p.heldBy.hostname}: waiting)` : ''
    io.stderr.write(`sense table (${p.phase}): ${p.done}/${p.total} tokens${by}\n`)
  }
}

/** 40 s, 3 min, 2.5 h: a rough duration for a warning. */
export function roughDuration(ms: number): string {
  const s = ms / 1000
  if (s < 90) return `${Math.max(1, Math.round(s))} s`
  if (s < 90 * 60) return `${Math.round(s / 60)} min`
  return `${(s / 3600).toFixed(1)} h`
}
