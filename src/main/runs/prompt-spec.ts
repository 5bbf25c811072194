import type { RunSpec } from '../../shared/store/experiment-types'

/** A prompt's stored inputs: its text when given as text, else its ids (the recipes of prompt methods). */
export function promptInputs(r: { text?: string; ids?: number[] }): Record<string, unknown> {
  return r.ids !== undefined ? { ids: r.ids } : { text: r.text }
}

/** The prompt part of a request again: the text when stored, else the ids. */
export function promptRequest(spec: RunSpec): Record<string, unknown> {
  const { text, ids } = spec.inputs
  return typeof text === 'string' ? { text } : { ids }
}

/** The mean of the finite values, or undefined when there are none. */
export function finiteMean(values: readonly number[]): number | undefined {
  const finite = values.filter(Number.isFinite)
  return finite.length ? finite.reduce((a, b) => a + b, 0) / finite.length : undefined
}

/** A response as stored outputs: without the answering checkpoint's hash (the run records it) and timings (never compared). */
export function answerOf(response: object): Record<string, unknown> {
  const { contentHash: _hash, timingsMs: _timings, ...answer } = response as Record<string, unknown>
  return answer
}
