import { WorkbenchError } from '../../shared/errors'
import { isVectorEdit, type ParsedSenseEdits, type ResolvedSenseEdit } from '../../shared/edits/parse-sense-edits'
import { editAlphaRow } from '../generation/incremental-decoder'
import { TopicAnnealer } from '../generation/topic-annealer'
import { assertFiniteLogits, type InterventionRunner, type RunCallOptions } from '../interventions/intervention-runner'

type AlphaEdit = Extract<ResolvedSenseEdit, { kind: 'scale-contextualization' }>
type TopicEdit = Extract<ResolvedSenseEdit, { kind: 'topic' }>

/**
 * Logits of a few tokens at the last position of a prompt under edits, without the
 * whole-vocabulary head: o = Σ_ℓ Σ_j α̃[ℓ, n−1, j]·δ_eff[ℓ, j]·C̃(x_j)_ℓ (the runner's edit
 * order: vector edits, topic multiplier over the whole prompt, α edits), then logit[v] = E_v·o.
 * For ratios of probabilities (the softmax normaliser cancels) this is all that is needed,
 * and it costs K·n·d instead of K·n·d + V·d per call. α comes from the runner's cache.
 */
export async function lastPositionLogits(
  runner: InterventionRunner,
  ids: readonly number[],
  edits: ParsedSenseEdits | null,
  targets: readonly number[],
  call: RunCallOptions = {},
): Promise<number[]> {
  const { numSenses: k, nEmbd: d } = runner.engine.config
  const n = ids.length
  if (n === 0) throw new WorkbenchError('bad-request', 'no tokens to run')
  const all = edits?.edits ?? []
  const alphaEdits = all.filter((e): e is AlphaEdit => e.kind === 'scale-contextualization')
  for (const e of alphaEdits) {
    if (e.position >= n)
      throw new WorkbenchError(
        'edit-invalid',
        `edit ${e.index} (scale-contextualization): position ${e.position} is outside this prompt of ${n} tokens [0, ${n})`,
      )
  }
  const topic = all.find((e): e is TopicEdit => e.kind === 'topic')
  const alpha = await runner.contextualization(ids) // (sense, pos, pos)
  const senses = await runner.editedSenses(ids, all.filter(isVectorEdit))
  let scale: Float32Array | null = null
  if (topic) {
    const annealer = new TopicAnnealer(await runner.topicDelta(topic, call), k, d, topic.strength)
    annealer.push(ids, senses, await runner.embedding(ids))
    scale = annealer.scale() // (sense, pos)
  }
  const row = new Float32Array(k * n) // (sense, pos)
  for (let l = 0; l < k; l++) row.set(alpha.subarray((l * n + n - 1) * n, (l * n + n) * n), l * n)
  editAlphaRow(row, k, n, alphaEdits)
  const o = new Float64Array(d)
  for (let l = 0; l < k; l++) {
    for (let j = 0; j < n; j++) {
      const w = row[l * n + j] * (scale ? scale[l * n + j] : 1)
      if (w === 0) continue
      const c = senses[j]
      for (let x = 0; x < d; x++) o[x] += w * c[l * d + x]
    }
  }
  const rows = await runner.embedding(targets)
  const logits = rows.map((e) => {
    let s = 0
    for (let x = 0; x < d; x++) s += e[x] * o[x]
    return s
  })
  if (all.length > 0) assertFiniteLogits(logits, targets.length, [n - 1], targets)
  return logits
}
