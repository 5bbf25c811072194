import type { ResolvedSenseEdit } from '../../shared/edits/parse-sense-edits'
import { gpt2Tokenizer } from '../tokenizer/gpt2-tokenizer'
import type { TiedTokens } from './tied-tokens'

/** The token fields of an edit that tied rows matter for. */
export interface EditTokens {
  token: number
  remove?: number
  add?: number
}

/**
 * Why an edit of these tokens can have no effect, or the same effect on other tokens, on this
 * model: the remove and add tokens share one embedding row (a knowledge edit between them is a
 * no-op); the edited token's row is shared or never trained (its senses hold nothing learned
 * about it); the add or remove token's row is shared (its score moves with every token tied
 * with it). Empty when none applies.
 */
export function explainEditTokens(e: EditTokens, tied: TiedTokens): string[] {
  const tok = gpt2Tokenizer()
  const q = (id: number) => JSON.stringify(tok.tokenText(id))
  const out: string[] = []
  if (e.add !== undefined && e.remove !== undefined && e.add !== e.remove && tied.groupOf(e.add)?.includes(e.remove)) {
    out.push(`${q(e.remove)} and ${q(e.add)} have identical embedding rows on this model: the edit cannot separate them and has no effect`)
  }
  const group = tied.describeGroup(e.token)
  const unseen = tied.isNeverSeen(e.token)
  if (group || unseen) {
    const why = group
      ? `${group} have identical embedding rows on this model`
      : `${q(e.token)} never occurred in this model's training data`
    const effect = unseen
      ? `its senses hold nothing the model learned about ${q(e.token)}, so the edit has little or nothing to change`
      : `its senses are theirs too, so nothing the model learned tells them apart`
    out.push(`${why}${group && unseen ? ` (${q(e.token)} never occurred in training)` : ''}: ${effect}`)
  }
  for (const role of ['remove', 'add'] as const) {
    const id = e[role]
    if (id === undefined || out[0]?.includes('cannot separate')) continue
    const g = tied.describeGroup(id)
    if (g)
      out.push(
        `${g} have identical embedding rows on this model: the edit moves the scores of all of them with ${q(id)} (its "${role}" token)`,
      )
  }
  return out
}

/** Warnings for each edit of a parsed document that targets tied or never-seen tokens, named by the edit's index. */
export function editTieWarnings(edits: readonly ResolvedSenseEdit[], tied: TiedTokens): string[] {
  const out: string[] = []
  for (const e of edits) {
    if (e.kind !== 'scale-sense' && e.kind !== 'knowledge-edit' && e.kind !== 'replace-sense' && e.kind !== 'add-sense') continue
    const tokens = e.kind === 'knowledge-edit' ? { token: e.token, remove: e.remove, add: e.add } : { token: e.token }
    for (const w of explainEditTokens(tokens, tied)) out.push(`edit ${e.index} (${e.kind}): ${w}`)
  }
  return out
}
