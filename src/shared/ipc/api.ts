import type * as z from 'zod'
import type { Result } from '../errors'
import type {
  AppInfo,
  AttributeResponse,
  BlastRadiusResponse,
  ContextualizationResponse,
  ForwardResponse,
  EncodeResponse,
  GenerateResponse,
  GenderBiasView,
  KnowledgeEditView,
  TopicSuiteView,
  HubDownloadDone,
  HubJobInfo,
  HubProgress,
  ExperimentComparison,
  ExportedTable,
  ModelInfo,
  ParityCheckReport,
  NeighboursResponse,
  PredictResponse,
  ReverseResponse,
  SenseLookupResponse,
  ValidatedEdits,
  EvaluateResponse,
  FinetuneEpochFigures,
  FinetuneResponse,
} from './api-types'
import type { RequestSchemas } from './request-schemas'
import type { Experiment, ExperimentPage, RunSummary } from '../store/experiment-types'
import type { ExportedRunArrays } from '../store/run-array-types'
import type { SweepCancelResult, SweepMeta, SweepProgress } from '../sweep/sweep-view'

/**
 * The workbench API: one type map method → response (requests come from REQUEST_SCHEMAS), a
 * runtime list of the method names, and the event map. Electron IPC, serve's HTTP transport, the
 * renderer client and the tests all derive from this file. Add a method by adding its schema,
 * its response here and its name to API_METHODS; the compiler then points at every place left.
 */
export interface ApiResponses {
  'app.info': AppInfo
  'model.info': ModelInfo | null
  'model.load': ModelInfo
  'model.recent': { checkpoints: string[] }
  'model.selfCheck': ParityCheckReport
  'hub.download': HubJobInfo
  'hub.cancel': { cancelled: boolean }
  'hub.cached': { snapshot: string | null }
  'tokens.encode': EncodeResponse
  'predict.next': PredictResponse
  'predict.attribute': AttributeResponse
  'predict.contextualization': ContextualizationResponse
  'predict.forward': ForwardResponse
  'generate.run': GenerateResponse
  'suites.genderBias': GenderBiasView
  'suites.knowledgeEdit': KnowledgeEditView
  'suites.topic': TopicSuiteView
  'senses.lookup': SenseLookupResponse
  'senses.neighbours': NeighboursResponse
  'senses.reverse': ReverseResponse
  'edits.validate': ValidatedEdits
  'edits.blastRadius': BlastRadiusResponse
  'experiments.list': ExperimentPage
  'experiments.get': Experiment
  'experiments.save': Experiment
  'experiments.update': Experiment
  'experiments.fork': Experiment
  'experiments.delete': { id: number; deletedAt: number; restorableUntil: number }
  'experiments.compare': ExperimentComparison
  'experiments.exportTable': ExportedTable
  'experiments.exportArrays': ExportedRunArrays
  'evaluate.run': EvaluateResponse
  'experiments.saveRun': { experiment: Experiment; run: RunSummary }
  'finetune.run': FinetuneResponse
  'run.cancel': { cancelled: boolean }
  'sweeps.submit': SweepMeta
  'sweeps.list': { sweeps: SweepMeta[] }
  'sweeps.status': SweepProgress
  'sweeps.cancel': SweepCancelResult
}

export type ApiMethod = keyof ApiResponses & keyof RequestSchemas

/** Every method name, at runtime: the preload's allowlist and the dispatcher's table. */
export const API_METHODS = [
  'app.info',
  'model.info',
  'model.load',
  'model.recent',
  'model.selfCheck',
  'hub.download',
  'hub.cancel',
  'hub.cached',
  'tokens.encode',
  'predict.next',
  'predict.attribute',
  'predict.contextualization',
  'predict.forward',
  'generate.run',
  'suites.genderBias',
  'suites.knowledgeEdit',
  'suites.topic',
  'senses.lookup',
  'senses.neighbours',
  'senses.reverse',
  'edits.validate',
  'edits.blastRadius',
  'experiments.list',
  'experiments.get',
  'experiments.save',
  'experiments.update',
  'experiments.fork',
  'experiments.delete',
  'experiments.compare',
  'experiments.exportTable',
  'experiments.exportArrays',
  'evaluate.run',
  'experiments.saveRun',
  'finetune.run',
  'run.cancel',
  'sweeps.submit',
  'sweeps.list',
  'sweeps.status',
  'sweeps.cancel',
] as const satisfies readonly ApiMethod[]

// Compile-time: the list names every method of the map, and the map has a schema per method.
type Missing = Exclude<ApiMethod, (typeof API_METHODS)[number]>
const _everyMethodListed: Missing extends never ? true : Missing = true
void _everyMethodListed
type NoSchema = Exclude<keyof ApiResponses, keyof RequestSchemas>
const _everyMethodHasSchema: NoSchema extends never ? true : NoSchema = true
void _everyMethodHasSchema

/** What a caller sends (defaults may be omitted). */
export type ApiRequest<M extends ApiMethod> = z.input<RequestSchemas[M]>
/** What a handler receives after validation (defaults filled in). */
export type ApiParsedRequest<M extends ApiMethod> = z.output<RequestSchemas[M]>
export type ApiResponse<M extends ApiMethod> = ApiResponses[M]

/** What answers one method (after the dispatcher validated its request), and the whole table of them. */
export type ApiHandler<M extends ApiMethod> = (request: ApiParsedRequest<M>) => Promise<ApiResponse<M>>
export type ApiHandlers = { [M in ApiMethod]: ApiHandler<M> }

export function isApiMethod(name: unknown): name is ApiMethod {
  return typeof name === 'string' && (API_METHODS as readonly string[]).includes(name)
}

/** Events main → renderer. Names are `domain.pastTense`. */
export interface ApiEvents {
  'model.progressed': { runId: string | null; phase: string; done: number; total: number }
  'run.progressed': { runId: string; method: ApiMethod; done: number; total: number; message?: string }
  /** an epoch of `finetune.run` finished (also reported as run.progressed, done = epoch) */
  'finetune.progressed': { runId: string; figures: FinetuneEpochFigures }
  'model.loaded': { model: ModelInfo }
  'hub.progressed': { jobId: string; progress: HubProgress }
  'hub.finished': { jobId: string; result: Result<HubDownloadDone> }
  /** the native menu's "Import edits…" read a file (Electron only); the renderer validates it */
  'edits.imported': { fileName: string; document: unknown }
}

export type ApiEventName = keyof ApiEvents

export const API_EVENTS = [
  'model.progressed',
  'run.progressed',
  'finetune.progressed',
  'model.loaded',
  'hub.progressed',
  'hub.finished',
  'edits.imported',
] as const satisfies readonly ApiEventName[]
type MissingEvent = Exclude<ApiEventName, (typeof API_EVENTS)[number]>
const _everyEventListed: MissingEvent extends never ? true : MissingEvent = true
void _everyEventListed

/** One event; a union discriminated by `name`, so checking the name narrows the payload. */
export type ApiEvent<E extends ApiEventName = ApiEventName> = { [K in E]: { name: K; payload: ApiEvents[K] } }[E]

/** The one call signature every transport offers the renderer. */
export type ApiCall = <M extends ApiMethod>(method: M, request: ApiRequest<M>) => Promise<Result<ApiResponse<M>>>

/** What the preload exposes as `window.workbench` (and what the renderer client expects). */
export interface WorkbenchBridge {
  invoke(method: string, request: unknown): Promise<Result<unknown>>
  onEvent(listener: (event: ApiEvent) => void): () => void
  /** the filesystem path of a dropped file or folder (Electron only: browsers do not expose paths) */
  pathForFile?(file: File): string
}

/** Names of the Electron IPC channels (the preload and main use only these). */
export const IPC_CHANNELS = { invoke: 'workbench:invoke', event: 'workbench:event' } as const
