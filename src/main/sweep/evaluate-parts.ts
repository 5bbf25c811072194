import type { SenseEditDocument } from '../../shared/edits/sense-edits'
import { WorkbenchError } from '../../shared/errors'
import { mergeEvaluations } from '../evaluation/evaluation-figures'
import type { EvaluateResponse } from '../../shared/ipc/api-types'
import { parseRequest } from '../../shared/ipc/parse-request'
import type { SweepJobData, SweepJobResult } from './sweep-jobs'
import { decodeValue, type TravellingRun } from './sweep-run-codec'
import { sweepRunRecord, type RecipeLookup } from './sweep-run-record'

/**
 * An evaluate job split by documents: its parts' answers merged into one answer, recorded as the
 * one run the whole request makes (the corpus pooled, documents in order).
 */
export type MergeEvaluate = (parts: EvaluateResponse[]) => EvaluateResponse

/** The evaluate kind's merge of document chunks (figures derived again from the summed log-probs, as a local run). */
export const mergeEvaluateParts: MergeEvaluate = (parts) => mergeEvaluations(parts)

/** The run of a whole evaluate request from its parts (all completed; any order). */
export function evaluateRunFromParts(
  parts: { data: SweepJobData; result: SweepJobResult }[],
  merge: MergeEvaluate,
  lookup?: RecipeLookup,
): TravellingRun {
  const ordered = [...parts].sort((a, b) => a.data.part!.index - b.data.part!.index)
  const answers = ordered.map((p) => {
    if (typeof p.result?.response !== 'string' || !p.result.origin)
      throw new WorkbenchError('queue', `part ${p.data.part!.index} of a split evaluate job finished without its answer`)
    return decodeValue(p.result.response) as EvaluateResponse
  })
  const first = ordered[0].data.request as { edits?: SenseEditDocument }
  const request = parseRequest('evaluate.run', {
    documents: ordered.flatMap((p) => (p.data.request as { documents: unknown[] }).documents),
    ...(first.edits ? { edits: first.edits } : {}),
  })
  const totalMs = ordered.reduce((s, p) => s + p.result.totalMs, 0)
  return sweepRunRecord('evaluate.run', request, merge(answers), ordered[0].result.origin!, totalMs, lookup)
}
