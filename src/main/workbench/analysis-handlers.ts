import { WorkbenchError } from '../../shared/errors'
import type { ApiHandlers } from '../../shared/ipc/api'
import { attributeLogit } from '../prediction/attribute-logit'
import { predictTokens } from '../prediction/predict-tokens'
import { senseAtlas } from '../senses/sense-atlas'
import { senseNeighbours } from '../senses/sense-neighbours'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import { resolvePrompt, resolveTokenRef } from './resolve-prompt'
import type { ModelSession } from '../session/model-session'
import type { TokenizerThread } from '../tokenizer/tokenizer-thread'
import type { WorkbenchEvents } from './workbench-events'

type AnalysisMethods =
  | 'predict.next'
  | 'predict.attribute'
  | 'predict.contextualization'
  | 'senses.lookup'
  | 'senses.neighbours'
  | 'senses.reverse'
  | 'edits.blastRadius'

export interface AnalysisContext {
  session: () => ModelSession // throws `unavailable` when no model is loaded
  /** tokenizes user text off the thread that answers requests */
  tokenizer: TokenizerThread
  events: WorkbenchEvents
  /** registers a cancellable run under a caller-chosen id */
  track: (runId: string | undefined) => { signal: AbortSignal; done: () => void }
}

/**
 * The analysis methods: prediction, exact attribution, the sense atlas, neighbours, reverse lookup
 * and the blast radius — each a thin mapping from the contract onto the analysis modules.
 */
export function analysisHandlers(ctx: AnalysisContext): Pick<ApiHandlers, AnalysisMethods> {
  // the GPT-2 vocabulary is loaded on first use (building the table must not cost a door that never needs it)
  const tokenText = (id: number) => gpt2Tokenizer().tokenText(id)
  const tokenId = resolveTokenRef
  const editsOf = async (s: ModelSession, edits: SenseEditDocument | undefined) =>
    edits && edits.edits.length > 0 ? s.parseEdits(edits) : null

  return {
    'predict.next': async ({ text, ids: given, topK, edits }) => {
      const s = ctx.session()
      const prompt = await resolvePrompt(s, ctx.tokenizer, { text, ids: given })
      const parsed = await editsOf(s, edits)
      const t0 = performance.now()
      const p = await predictTokens(s.runner, prompt.ids, { top: topK, edits: parsed })
      const timingsMs = { ...p.timingsMs, total: performance.now() - t0 }
      return { tokens: prompt.tokens, next: p.next, logProbs: p.logProbs, edited: p.edited, timingsMs, contentHash: s.engine.contentHash }
    },
    'predict.attribute': async ({ text, ids: given, position, target, edits }) => {
      const s = ctx.session()
      const { ids, tokens } = await resolvePrompt(s, ctx.tokenizer, { text, ids: given })
      if (position >= ids.length)
        throw new WorkbenchError('bad-request', `position ${position} is outside the prompt's ${ids.length} tokens [0, ${ids.length})`)
      const a = await attributeLogit(s.runner, ids, position, tokenId(s, target, 'target'), await editsOf(s, edits))
      return {
        tokens: tokens.map(({ id, text: t }) => ({ id, text: t })),
        position: a.position,
        target: a.target,
        logit: a.logit,
        total: a.total,
        contributions: a.contributions,
        byTokenSense: a.byTokenSense,
        edited: a.edited,
        contentHash: s.engine.contentHash,
      }
    },
    'predict.contextualization': async ({ text, sense }) => {
      const s = ctx.session()
      const k = s.engine.config.numSenses
      if (sense >= k) throw new WorkbenchError('bad-request', `sense ${sense} is outside [0, ${k})`)
      const ids = await s.encode(text)
      const n = ids.length
      const alpha = await s.runner.contextualization(ids) // (sense, pos, pos), shared: copy out
      const rows = alpha.slice(sense * n * n, (sense + 1) * n * n) // (query, key)
      return {
        tokens: ids.map((id) => ({ id, text: tokenText(id) })),
        sense,
        numSenses: k,
        n,
        alpha: Buffer.from(rows.buffer, rows.byteOffset, rows.byteLength).toString('base64'),
      }
    },
    'senses.lookup': async ({ word, topK, policy, ties, rawSpacing, bins, vectors }) => {
      const s = ctx.session()
      // the word is taken exactly as given: " nurse" is the token " nurse", "nurse" gets a space
      // (unless rawSpacing); a multi-token word's senses are its first token's or the mean (policy)
      const a = await senseAtlas(s.engine, word, {
        top: topK,
        policy,
        ties: await s.tiesOption(ties),
        ...(rawSpacing ? { rawSpacing } : {}),
        ...(bins !== undefined ? { bins } : {}),
        ...(vectors ? { includeVectors: true } : {}),
      })
      return {
        word: a.word,
        text: a.text,
        tokens: a.tokens,
        policy: a.policy,
        used: a.used,
        multiToken: a.multiToken,
        senses: a.senses.map((c) => ({ sense: c.sense, norm: c.norm, top: c.top, bottom: c.bottom, summary: c.summary })),
        ...(a.vectors ? { vectors: a.vectors } : {}),
        contentHash: s.engine.contentHash,
      }
    },
    'senses.neighbours': async ({ word, sense, topK, policy, ties, rawSpacing }) => {
      const s = ctx.session()
      if (typeof sense === 'number' && sense >= s.engine.config.numSenses) {
        throw new WorkbenchError('bad-request', `sense ${sense} is outside [0, ${s.engine.config.numSenses})`)
      }
      const table = await s.senseTable()
      const n = await senseNeighbours(s.engine, table, word, {
        measure: sense,
        top: topK,
        policy,
        ties: await s.tiesOption(ties),
        ...(rawSpacing ? { rawSpacing } : {}),
      })
      return {
        word: n.word,
        tokens: n.tokens,
        policy: n.policy,
        used: n.used,
        multiToken: n.multiToken,
        measure: n.measure,
        neighbours: n.neighbours.map(({ id, text, score, perSense, tied }) => ({ id, text, score, perSense, ...(tied ? { tied } : {}) })),
        contentHash: s.engine.contentHash,
      }
    },
    'senses.reverse': async ({ token, direction, topK, ties, runId }) => {
      const s = ctx.session()
      const target = tokenId(s, token, 'token')
      const run = ctx.track(runId)
      try {
        const table = await s.senseTable({
          signal: run.signal,
          onProgress: (p) => {
            if (runId)
              ctx.events.emit('run.progressed', {
                runId,
                method: 'senses.reverse',
                done: p.done,
                total: p.total,
                message: p.heldBy
                  ? `waiting for process ${p.heldBy.pid} on ${p.heldBy.hostname}, which is building the sense table (${p.phase})`
                  : `building the sense table (${p.phase})`,
              })
          },
        })
        if (run.signal.aborted) throw new WorkbenchError('cancelled', 'reverse lookup cancelled')
        // loaded on first use: its int8 index builds an ONNX graph (onnx-proto), which no other method here needs
        const { reverseLookup } = await import('../senses/reverse-lookup')
        const r = await reverseLookup(s.engine, table, target, { top: topK, direction, ties: await s.tiesOption(ties) })
        return { target: r.target, direction: r.direction, entries: r.entries, timingsMs: r.timingsMs, contentHash: s.engine.contentHash }
      } finally {
        run.done()
      }
    },
    'edits.blastRadius': async ({ document, pairs, runId }) => {
      const s = ctx.session()
      const parsed = await s.parseEdits(document)
      const ids = pairs.map(({ a, b }) => [tokenId(s, a, 'token'), tokenId(s, b, 'token')] as const)
      const run = ctx.track(runId)
      try {
        // the edited senses' changes are computed once for all pairs; cancellable by runId
        const { radii, notCovered } = await s.runner.blastRadii(parsed, ids, {
          signal: run.signal,
          onProgress: (done, total) => {
            if (runId)
              ctx.events.emit('run.progressed', {
                runId,
                method: 'edits.blastRadius',
                done,
                total,
                message: 'sense changes of the edited tokens',
              })
          },
        })
        const out = radii.map((r) => ({
          a: { id: r.tokenA, text: tokenText(r.tokenA) },
          b: { id: r.tokenB, text: tokenText(r.tokenB) },
          maxIncrease: r.maxIncrease,
          maxDecrease: r.maxDecrease,
        }))
        return { pairs: out, notCovered }
      } finally {
        run.done()
      }
    },
  }
}
