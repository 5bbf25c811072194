import type { ApiParsedRequest, ApiResponse } from '../../shared/ipc/api'
import type { SaveableMethod } from '../../shared/ipc/request-schemas'
import type { KnownRunKind, NewRun, RunSpec } from '../../shared/store/experiment-types'

/**
 * How one saveable API method's call becomes a stored run, and a stored run a request again.
 * The spec (kind, inputs, settings) reconstructs the request exactly — every setting and seed —
 * apart from the edits, which the run stores itself; the response becomes outputs (small JSON),
 * metrics (scalars for comparisons) and blobs (large numeric arrays). One recipe per method: every
 * door (app, serve, CLI, queue workers) saves and reopens through these.
 */
export interface RunRecipe<M extends SaveableMethod = SaveableMethod> {
  readonly method: M
  readonly kind: KnownRunKind
  /** whether a stored spec was made by this method (kinds with several methods say which in inputs) */
  matches(spec: RunSpec): boolean
  /** the stored spec of one call (the request after validation, edits and runId left out) */
  spec(request: ApiParsedRequest<M>): Pick<RunSpec, 'kind' | 'inputs' | 'settings'>
  /** the request a stored spec stands for, without edits or runId: validated again before it runs */
  request(spec: RunSpec): Record<string, unknown>
  /**
   * outputs, metrics, blobs and timings of one response; `inputs` and `settings`, when given, add
   * what only the response knows to the spec's (e.g. the prompt's token ids) or replace a field
   * by its resolved form (a token given as text stored as its id, so every door stores the same)
   */
  record(
    request: ApiParsedRequest<M>,
    response: ApiResponse<M>,
  ): Pick<NewRun, 'outputs' | 'metrics' | 'blobs' | 'timingsMs'> & { inputs?: Record<string, unknown>; settings?: Record<string, unknown> }
}
