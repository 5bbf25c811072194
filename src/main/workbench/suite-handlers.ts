import type { ApiHandlers } from '../../shared/ipc/api'
import { genderBiasSuite } from '../suites/gender-bias-suite'
import { explainGenderBias } from '../suites/gender-bias-explanation'
import { explainEditTokens } from '../senses/edit-tie-warnings'
import { knowledgeEditSuite } from '../suites/knowledge-edit-suite'
import { topicSuite, type TopicStrength } from '../suites/topic-suite'
import type { AnalysisContext } from './analysis-handlers'
import type { SenseTableProgress } from '../senses/sense-table'

/** The paper's experiments as suites, run on top of the user's edits, with progress and cancel. */
export function suiteHandlers(ctx: AnalysisContext): Pick<ApiHandlers, 'suites.genderBias' | 'suites.knowledgeEdit' | 'suites.topic'> {
  return {
    'suites.knowledgeEdit': async ({ heldoutText, maxHeldoutTokens, edits, runId }) => {
      const s = ctx.session()
      const run = ctx.track(runId)
      try {
        const parsed = edits && edits.edits.length > 0 ? await s.parseEdits(edits) : null
        // a topic edit among the edits needs the table with its scores
        if (parsed?.edits.some((e) => e.kind === 'topic')) await s.senseTable({ need: 'scores', signal: run.signal })
        const r = await knowledgeEditSuite(s.engine, {
          edits: parsed,
          runner: s.runner,
          signal: run.signal,
          ...(heldoutText !== undefined ? { heldoutText } : {}),
          ...(maxHeldoutTokens !== undefined ? { maxHeldoutTokens } : {}),
        })
        const tied = await s.tiedTokens()
        return {
          ...r,
          contentHash: s.engine.contentHash,
          edited: r.edited,
          cases: r.cases.map((c) => ({
            ...c,
            name: c.name,
            mean: c.mean,
            senseChange: c.senseChange,
            ...explanationOf(explainEditTokens(c.ids, tied), c.senseChange.norm),
            degradation: {
              heldout: {
                ...c.degradation.heldout,
                tokens: c.degradation.heldout.tokens,
                editedTokenOccurrences: c.degradation.heldout.editedTokenOccurrences,
                perplexityBefore: c.degradation.heldout.perplexityBefore,
                perplexityAfter: c.degradation.heldout.perplexityAfter,
                relativeChange: c.degradation.heldout.relativeChange,
              },
              unrelated: c.degradation.unrelated,
              mentions: c.degradation.mentions && {
                ...c.degradation.mentions,
                sentences: c.degradation.mentions.sentences,
                tokens: c.degradation.mentions.tokens,
                editedTokenOccurrences: c.degradation.mentions.editedTokenOccurrences,
                perplexityBefore: c.degradation.mentions.perplexityBefore,
                perplexityAfter: c.degradation.mentions.perplexityAfter,
                relativeChange: c.degradation.mentions.relativeChange,
                positionsAfterEditedToken: c.degradation.mentions.positionsAfterEditedToken,
                meanKl: c.degradation.mentions.meanKl,
                maxKl: c.degradation.mentions.maxKl,
              },
            },
          })),
        }
      } finally {
        run.done()
      }
    },
    'suites.topic': async ({ topics, words, strengths, promptIds, includeTexts, samples, maxNewTokens, seed, edits, runId }) => {
      const s = ctx.session()
      const run = ctx.track(runId)
      try {
        const r = await topicSuite(s.engine, {
          ...(topics || words ? { topics: [...(topics ?? []), ...(words ? [{ name: 'custom', words }] : [])] } : {}),
          ...(strengths ? { strengths: strengths as TopicStrength[] } : {}),
          ...(promptIds ? { prompt: promptIds } : {}),
          samples,
          maxNewTokens,
          seed,
          includeTexts: includeTexts ?? true,
          edits: edits && edits.edits.length > 0 ? await s.parseEdits(edits) : null,
          runner: s.runner,
          signal: run.signal,
          onProgress: (p) => {
            if (runId)
              ctx.events.emit('run.progressed', {
                runId,
                method: 'suites.topic',
                done: p.done,
                total: p.total,
                message: `${p.topic} strength ${p.strength}`,
              })
          },
          // the first topic run of a checkpoint computes the topic scores (minutes at full size): its progress, in tokens
          onTableProgress: tableProgressEvents(ctx, runId, 'suites.topic'),
        })
        return {
          ...r,
          contentHash: s.engine.contentHash,
          edited: r.edited,
          summary: r.summary,
          topics: r.topics.map((t) => ({
            topic: t.topic,
            bag: t.bag,
            results: t.results.map((x) => ({
              ...x,
              strength: x.strength,
              bagMass: x.bagMass,
              bagShare: x.bagShare,
              perplexity: x.perplexity,
              ...(x.samples ? { samples: x.samples.map(({ seed: sd, text: tx, ...rest }) => ({ ...rest, seed: sd, text: tx })) } : {}),
            })),
          })),
        }
      } finally {
        run.done()
      }
    },
    'suites.genderBias': async ({ sense, optimize, professions, maxIterations, edits, runId }) => {
      const s = ctx.session()
      const run = ctx.track(runId)
      try {
        const r = await genderBiasSuite(s.engine, {
          ...(sense !== undefined ? { sense } : {}),
          optimize,
          ...(professions ? { professions } : {}),
          ...(maxIterations !== undefined ? { maxIterations } : {}),
          edits: edits && edits.edits.length > 0 ? await s.parseEdits(edits) : null,
          runner: s.runner,
          signal: run.signal,
          onProgress: (p) => {
            if (runId)
              ctx.events.emit('run.progressed', { runId, method: 'suites.genderBias', done: p.done, total: p.total, message: p.profession })
          },
        })
        const explanation = explainGenderBias(r, await s.tiedTokens())
        return {
          ...r,
          contentHash: s.engine.contentHash,
          sense: r.sense,
          professions: r.professions,
          prompts: r.prompts,
          settings: r.settings,
          perProfession: r.perProfession.map(({ profession, token, unmodified, removeSense, optimizeSense, w, ...rest }) => ({
            ...rest,
            profession,
            token,
            unmodified,
            removeSense,
            ...(optimizeSense !== undefined ? { optimizeSense } : {}),
            ...(w !== undefined ? { w } : {}),
          })),
          edited: r.edited,
          ...(explanation.length > 0 ? { explanation } : {}),
        }
      } finally {
        run.done()
      }
    },
  }
}

/** A case's explanation when its edit can have no (or a shared) effect: tied or never-seen tokens, or no change of the senses at all. */
function explanationOf(reasons: string[], senseChange: number): { explanation?: string[] } {
  const out = senseChange === 0 && reasons.length === 0 ? ["the edit leaves the token's senses exactly as they were: C̃(x) = C(x)"] : reasons
  return out.length > 0 ? { explanation: out } : {}
}

/**
 * The sense table's build progress (tokens) as run.progressed events of the run, one per
 * percent at most (the scores phase reports every block of rows: thousands).
 */
function tableProgressEvents(ctx: AnalysisContext, runId: string | undefined, method: 'suites.topic'): (p: SenseTableProgress) => void {
  let last = -1
  return (p) => {
    const percent = Math.floor((100 * p.done) / Math.max(1, p.total))
    if (!runId || percent === last) return
    last = percent
    const by = p.heldBy ? `: built by process ${p.heldBy.pid} on ${p.heldBy.hostname}, waiting` : ''
    ctx.events.emit('run.progressed', { runId, method, done: p.done, total: p.total, message: `sense table (${p.phase})${by}` })
  }
}
