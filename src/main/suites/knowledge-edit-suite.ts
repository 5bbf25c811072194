import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { WorkbenchError } from '../../shared/errors'
import type { MentionDegradationView } from '../../shared/ipc/api-types'
import type { ParsedSenseEdits, VectorEdit } from '../../shared/edits/parse-sense-edits'
import type { KnowledgeEdit } from '../../shared/edits/sense-edits'
import {
  BUILTIN_HELDOUT_TEXT,
  KNOWLEDGE_EDIT_CASES,
  UNRELATED_PROMPTS,
  type KnowledgeEditCase,
} from '../../shared/suites/knowledge-edit-data'
import { analysisRunner } from '../interventions/apply-sense-edits'
import type { InterventionRunner } from '../interventions/intervention-runner'
import { demoCheckpointDir } from '../paths/app-paths'
import { logSumExp, textVocabSize } from '../math/top-k'
import type { BackpackEngine } from '../runtime/backpack-engine'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import { composeEdits } from './compose-edits'
import { KNOWLEDGE_EDIT_MENTIONS } from './knowledge-edit-mentions'
import { meanNextTokenKl, nextTokenKl, perplexity, tokenLogProbs, YIELD_MS } from './sequence-metrics'
import { eventLoopYielder } from '../prediction/event-loop-yield'

export interface KnowledgeEditOptions {
  /** the user's edits: "before" runs these, "after" these plus the knowledge edit */
  edits?: ParsedSenseEdits | null
  cases?: readonly KnowledgeEditCase[]
  /** held-out text for the perplexity check (default: resources/demo-backpack/heldout.txt, else a built-in paragraph) */
  heldoutText?: string
  maxHeldoutTokens?: number
  unrelatedPrompts?: readonly string[]
  /**
   * sentences that mention a case's edited token outside the edited fact, keyed by the token's
   * text (default: KNOWLEDGE_EDIT_MENTIONS); every sentence must hold the token
   */
  mentionSentences?: Readonly<Record<string, readonly string[]>>
  runner?: InterventionRunner
  signal?: AbortSignal
}

interface Probe {
  pAdd: number
  pRemove: number
}

export interface KnowledgeEditCaseResult {
  name: string
  edit: KnowledgeEdit
  ids: { token: number; remove: number; add: number }
  /** ‖C̃(x) − C(x)‖ over all senses, absolute and relative to ‖C(x)‖ (0: the edit is a no-op, e.g. E[add] = E[remove]) */
  senseChange: { norm: number; relative: number }
  prompts: { prompt: string; before: Probe; after: Probe; logOddsChange: number }[]
  mean: { before: Probe; after: Probe; logOddsChange: number }
  degradation: {
    /**
     * Perplexity of the held-out text (global, the same for every case). When it does not hold
     * the edited token (`editedTokenOccurrences` 0, as with the default text) the change is
     * exactly 0: that documents that the edit is local, not that it is harmless.
     */
    heldout: {
      source: string
      tokens: number
      editedTokenOccurrences: number
      perplexityBefore: number
      perplexityAfter: number
      relativeChange: number
    }
    /** KL(before ‖ after) over prompts that do not mention the edited token: exactly 0 for the same reason */
    unrelated: { prompts: number; promptsWithEditedToken: number; meanKl: number; maxKl: number }
    /**
     * The collateral damage: sentences that mention the edited token in contexts that are not
     * about the edited fact. null when there are none for this token (a custom case).
     */
    mentions: MentionDegradation | null
  }
}

/** Before/after figures on sentences that mention the edited token (see KNOWLEDGE_EDIT_MENTIONS). */
export interface MentionDegradation extends MentionDegradationView {
  source: string
  perSentence: { text: string; tokens: number; perplexityBefore: number; perplexityAfter: number; meanKl: number }[]
}

export interface KnowledgeEditResult {
  suite: 'knowledge-edit'
  cases: KnowledgeEditCaseResult[]
  edited: boolean
}

/**
 * The paper's knowledge edits (Hewitt et al. 2023 §6.3; spec §4.5) measured: for each case,
 * p(add) and p(remove) as the next token after probe prompts before and after the edit
 * (log-odds change = Δ[log p(add) − log p(remove)]), and a degradation check — perplexity of
 * held-out text and the mean KL(before ‖ after) of next-token distributions over unrelated
 * prompts. A sense edit changes only the edited token's senses, so text without that token
 * is unchanged exactly (the default held-out text and unrelated prompts give 0: the edit is
 * local); the counts of occurrences are reported next to the figures. The collateral damage
 * is measured on sentences that mention the edited token outside the edited fact
 * (`degradation.mentions`: perplexity before/after and KL from the token on).
 */
export async function knowledgeEditSuite(engine: BackpackEngine, options: KnowledgeEditOptions = {}): Promise<KnowledgeEditResult> {
  const { vocabSize: V, nPositions } = engine.config
  const tok = gpt2Tokenizer()
  const runner = options.runner ?? analysisRunner(engine)
  const base = options.edits ?? null
  const textV = textVocabSize(V)
  const single = (text: string, what: string) => {
    const ids = tok.encode(text)
    if (ids.length !== 1 || ids[0] >= V)
      throw new WorkbenchError(
        'bad-request',
        `knowledge-edit ${what} ${JSON.stringify(text)} must be one token of this model's vocabulary [0, ${V}), got [${ids.join(', ')}]`,
      )
    return ids[0]
  }
  const chosen = (options.cases ?? KNOWLEDGE_EDIT_CASES).map((c) => ({
    c,
    ids: { token: single(c.token, 'token'), remove: single(c.remove, '"remove" token'), add: single(c.add, '"add" token') },
  }))
  const heldout = readHeldout(options.heldoutText)
  const heldoutIds = tok.encode(heldout.text).slice(0, options.maxHeldoutTokens ?? nPositions)
  if (heldoutIds.length < 2) throw new WorkbenchError('bad-request', 'the held-out text needs at least two tokens')
  const unrelated = (options.unrelatedPrompts ?? UNRELATED_PROMPTS).map((p) => tok.encode(p))
  const mentionSource = options.mentionSentences ? 'given' : 'built-in'
  const mentionTexts = options.mentionSentences ?? KNOWLEDGE_EDIT_MENTIONS
  const mentionsOf = chosen.map(({ c, ids }) =>
    (mentionTexts[c.token] ?? []).map((text) => {
      const sids = tok.encode(text)
      if (!sids.includes(ids.token))
        throw new WorkbenchError(
          'bad-request',
          `knowledge-edit case ${JSON.stringify(c.name)}: the mention sentence ${JSON.stringify(text)} does not hold the edited token ${JSON.stringify(c.token)} (${ids.token})`,
        )
      if (sids.length > nPositions)
        throw new WorkbenchError(
          'too-long',
          `knowledge-edit case ${JSON.stringify(c.name)}: the mention sentence ${JSON.stringify(text)} has ${sids.length} tokens; this model takes at most ${nPositions}`,
        )
      return { text, ids: sids }
    }),
  )
  const baseLogProbs = await tokenLogProbs(runner, heldoutIds, base)
  const probe = async (ids: number[], edits: ParsedSenseEdits | null, add: number, remove: number): Promise<Probe> => {
    const { logits } = await runner.run(ids, edits, { positions: [ids.length - 1] })
    const lse = logSumExp(logits, 0, textV)
    return { pAdd: Math.exp(logits[add] - lse), pRemove: Math.exp(logits[remove] - lse) }
  }
  const cases: KnowledgeEditCaseResult[] = []
  for (const [ci, { c, ids }] of chosen.entries()) {
    if (options.signal?.aborted) throw new WorkbenchError('cancelled', 'the knowledge-edit suite was cancelled')
    const edit: KnowledgeEdit = { kind: 'knowledge-edit', token: ids.token, remove: ids.remove, add: ids.add }
    const after = composeEdits(engine, base, [edit])
    const [plainSenses] = await runner.tokenSenses([ids.token])
    const [editedSenses] = await runner.editedSenses([ids.token], [after?.edits[after.edits.length - 1] as VectorEdit])
    let diff2 = 0
    let norm2 = 0
    plainSenses.forEach((x, i) => {
      diff2 += (editedSenses[i] - x) ** 2
      norm2 += x * x
    })
    const prompts: KnowledgeEditCaseResult['prompts'] = []
    for (const prompt of c.prompts) {
      const pids = tok.encode(prompt)
      const b = await probe(pids, base, ids.add, ids.remove)
      const a = await probe(pids, after, ids.add, ids.remove)
      prompts.push({ prompt, before: b, after: a, logOddsChange: Math.log(a.pAdd / a.pRemove) - Math.log(b.pAdd / b.pRemove) })
    }
    const mean = (f: (p: (typeof prompts)[number]) => number) => prompts.reduce((s, p) => s + f(p), 0) / prompts.length
    const afterLogProbs = await tokenLogProbs(runner, heldoutIds, after)
    const kls: number[] = []
    for (const u of unrelated) kls.push(await meanNextTokenKl(runner, u, base, after))
    const mentions =
      mentionsOf[ci].length > 0 ? await mentionDegradation(runner, ids.token, mentionsOf[ci], base, after, mentionSource) : null
    const pplBefore = perplexity(baseLogProbs)
    const pplAfter = perplexity(afterLogProbs)
    cases.push({
      name: c.name,
      edit,
      ids,
      senseChange: { norm: Math.sqrt(diff2), relative: norm2 > 0 ? Math.sqrt(diff2 / norm2) : 0 },
      prompts,
      mean: {
        before: { pAdd: mean((p) => p.before.pAdd), pRemove: mean((p) => p.before.pRemove) },
        after: { pAdd: mean((p) => p.after.pAdd), pRemove: mean((p) => p.after.pRemove) },
        logOddsChange: mean((p) => p.logOddsChange),
      },
      degradation: {
        heldout: {
          source: heldout.source,
          tokens: heldoutIds.length,
          editedTokenOccurrences: heldoutIds.filter((t) => t === ids.token).length,
          perplexityBefore: pplBefore,
          perplexityAfter: pplAfter,
          relativeChange: pplAfter / pplBefore - 1,
        },
        unrelated: {
          prompts: unrelated.length,
          promptsWithEditedToken: unrelated.filter((u) => u.includes(ids.token)).length,
          meanKl: kls.reduce((s, x) => s + x, 0) / kls.length,
          maxKl: Math.max(...kls),
        },
        mentions,
      },
    })
  }
  return { suite: 'knowledge-edit', cases, edited: (base?.edits.length ?? 0) > 0 }
}

/**
 * Perplexity before/after and the KL of next-token distributions from the edited token's first
 * occurrence on, for sentences that hold the token. `before` = `after` gives exactly 0.
 */
export async function mentionDegradation(
  runner: InterventionRunner,
  token: number,
  sentences: readonly { text: string; ids: readonly number[] }[],
  before: ParsedSenseEdits | null,
  after: ParsedSenseEdits | null,
  source = 'given',
): Promise<MentionDegradation> {
  const V = runner.engine.config.vocabSize
  const textV = textVocabSize(V)
  const allBefore: number[] = []
  const allAfter: number[] = []
  const allKl: number[] = []
  const perSentence: MentionDegradation['perSentence'] = []
  for (const { text, ids } of sentences) {
    const p = (await runner.run(ids, before)).logits // (pos, vocab)
    const q = (await runner.run(ids, after)).logits
    const lpBefore: number[] = []
    const lpAfter: number[] = []
    const kl: number[] = []
    const first = ids.indexOf(token)
    const maybeYield = eventLoopYielder(YIELD_MS)
    for (let i = 0; i < ids.length; i++) {
      await maybeYield()
      const row = i * V
      const lp = logSumExp(p, row, textV)
      const lq = logSumExp(q, row, textV)
      const next = ids[i + 1]
      if (next !== undefined) {
        lpBefore.push(next < textV ? p[row + next] - lp : -Infinity)
        lpAfter.push(next < textV ? q[row + next] - lq : -Infinity)
      }
      if (first >= 0 && i >= first) kl.push(nextTokenKl(p, q, row, textV, lp, lq))
    }
    perSentence.push({
      text,
      tokens: ids.length,
      perplexityBefore: perplexity(lpBefore),
      perplexityAfter: perplexity(lpAfter),
      meanKl: average(kl),
    })
    allBefore.push(...lpBefore)
    allAfter.push(...lpAfter)
    allKl.push(...kl)
  }
  const pplBefore = perplexity(allBefore)
  const pplAfter = perplexity(allAfter)
  return {
    source,
    sentences: sentences.length,
    tokens: sentences.reduce((s, x) => s + x.ids.length, 0),
    editedTokenOccurrences: sentences.reduce((s, x) => s + x.ids.filter((t) => t === token).length, 0),
    perplexityBefore: pplBefore,
    perplexityAfter: pplAfter,
    relativeChange: pplAfter / pplBefore - 1,
    positionsAfterEditedToken: allKl.length,
    meanKl: average(allKl),
    maxKl: allKl.length > 0 ? Math.max(...allKl) : 0,
    perSentence,
  }
}

const average = (xs: readonly number[]) => (xs.length > 0 ? xs.reduce((s, x) => s + x, 0) / xs.length : 0)

function readHeldout(text: string | undefined): { text: string; source: string } {
  if (text !== undefined) return { text, source: 'given' }
  const file = join(demoCheckpointDir(), 'heldout.txt')
  if (existsSync(file)) return { text: readFileSync(file, 'utf8'), source: file }
  return { text: BUILTIN_HELDOUT_TEXT, source: 'built-in paragraph' }
}
