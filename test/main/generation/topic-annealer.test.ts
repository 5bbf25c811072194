import { describe, expect, it } from 'vitest'
import { TopicAnnealer } from '../../../src/main/generation/topic-annealer'
import { annealedTopicScale } from '../../../src/main/interventions/topic-weights'
import { SeededRandom } from '../../../src/main/generation/seeded-random'

describe('TopicAnnealer', () => {
  it('gives, at every length, exactly annealedTopicScale over the whole current sequence', () => {
    const V = 30
    const k = 3
    const d = 5
    const r = new SeededRandom(4)
    const E = Array.from({ length: V }, () => Float32Array.from({ length: d }, () => r.next() * 2 - 1))
    const C = Array.from({ length: V }, () => Float32Array.from({ length: k * d }, () => r.next() * 4 - 2))
    const delta = Float32Array.from({ length: V * k }, () => [1, 1.5, 2.2, 3.3][Math.floor(r.next() * 4)])
    const ids = [4, 9, 4, 17, 2, 9, 9, 29, 0, 4, 13, 17]
    for (const strength of [1, 3] as const) {
      const annealer = new TopicAnnealer(delta, k, d, strength)
      annealer.push(
        ids.slice(0, 3),
        ids.slice(0, 3).map((t) => C[t]),
        ids.slice(0, 3).map((t) => E[t]),
      )
      for (let n = 3; n <= ids.length; n++) {
        if (n > 3) annealer.push([ids[n - 1]], [C[ids[n - 1]]], [E[ids[n - 1]]])
        const prefix = ids.slice(0, n)
        const senses = new Float32Array(k * n * d) // (sense, pos, d_model)
        const embeddings = new Float32Array(n * d) // (pos, d_model)
        prefix.forEach((t, j) => {
          embeddings.set(E[t], j * d)
          for (let l = 0; l < k; l++) senses.set(C[t].subarray(l * d, (l + 1) * d), (l * n + j) * d)
        })
        const expected = annealedTopicScale(prefix, senses, embeddings, delta, k, d, strength)
        expect(Array.from(annealer.scale())).toEqual(Array.from(expected))
      }
    }
  })
})
