import type { BackpackEngine } from '../runtime/backpack-engine'

/**
 * Per-token sense vectors C(x), (sense, d_model) each, in the order given. The one cache of C(x)
 * is the engine's, by token id in the worker (runtime/sense-cache.ts): sense vectors depend only on
 * the token id (backpack-spec.md §3.1), so one entry serves every context. Each distinct id is
 * asked for once; repeated ids share one array (a view of the engine's answer: do not modify it).
 */
export async function tokenSenses(engine: BackpackEngine, ids: readonly number[]): Promise<Float32Array[]> {
  const unique = [...new Set(ids)]
  if (unique.length === 0) return []
  const { numSenses, nEmbd } = engine.config
  const block = numSenses * nEmbd
  const all = await engine.senseVectors(unique) // (n, sense, d_model)
  const at = new Map(unique.map((id, i) => [id, all.subarray(i * block, (i + 1) * block)]))
  return ids.map((id) => at.get(id) as Float32Array)
}
