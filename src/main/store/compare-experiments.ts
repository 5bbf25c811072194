import { WorkbenchError } from '../../shared/errors'
import type {
  Comparison,
  DetailSection,
  GenerationRow,
  MetricRow,
  OutputCell,
  OutputRow,
  PromptKey,
} from '../../shared/store/comparison-types'
import type { Experiment, RunSpec, RunSummary } from '../../shared/store/experiment-types'
import { canonicalJson } from './canonical-json'
import { detailSection, generationRow } from './compare-details'
import { editEffects, type EditEffectCalculator } from './edit-effects'
import { editRows, statusOf } from './edit-rows'
import type { ExperimentRunner } from './experiment-runner'
import type { ExperimentStore } from './experiment-store'
import { checkId } from './experiment-fields'
import { runHeadline } from './run-details'
import { otherInputs, promptKey, promptText } from './run-rows'

export interface CompareOptions {
  /** leave out rows that are the same in every experiment */
  diffOnly?: boolean
  /** re-runs a prompt for experiments that have no stored run of it (the new runs are recorded) */
  runner?: ExperimentRunner
  /** extra prompts every experiment should have a run of (a shared prompt suite) */
  prompts?: RunSpec[]
  /** absolute tolerance under which two metric values count as equal (default 1e-9) */
  metricAtol?: number
  /** computes what each edited sense's change does to its projection (needs the model loaded) */
  editEffects?: EditEffectCalculator
}

/**
 * Compares any number of experiments: edits side by side with a diff, outputs and metrics on
 * the union of their prompts (plus `prompts`), re-running missing cells when a runner is given.
 */
export async function compareExperiments(store: ExperimentStore, ids: number[], options: CompareOptions = {}): Promise<Comparison> {
  if (!Array.isArray(ids) || ids.length === 0) throw new WorkbenchError('bad-request', 'compare needs at least one experiment id')
  const checked = ids.map((id) => checkId(id))
  const dup = checked.find((id, i) => checked.indexOf(id) !== i)
  if (dup !== undefined) throw new WorkbenchError('bad-request', `experiment ${dup} is listed twice`)
  const experiments: Experiment[] = []
  for (const id of checked) experiments.push(await store.get(id))

  // latest run per (experiment, prompt key)
  const specs = new Map<string, RunSpec>()
  const cells = new Map<string, Map<number, { run: RunSummary; fresh: boolean }>>()
  const put = (run: RunSummary, fresh: boolean) => {
    const key = promptKey(run)
    if (!specs.has(key)) specs.set(key, { kind: run.kind, inputs: run.inputs, settings: run.settings })
    if (!cells.has(key)) cells.set(key, new Map())
    cells.get(key)!.set(run.experimentId, { run, fresh })
  }
  for (const run of await store.runs(checked)) put(run, false)
  for (const spec of options.prompts ?? []) {
    const key = promptKey(spec)
    if (!specs.has(key)) specs.set(key, spec)
    if (!cells.has(key)) cells.set(key, new Map())
  }

  const missing: Comparison['missing'] = []
  for (const [key, spec] of specs) {
    for (const exp of experiments) {
      if (cells.get(key)!.has(exp.id)) continue
      const prompt = promptOf(spec)
      const reason = whyNotRunnable(exp, spec, options.runner)
      if (reason) {
        missing.push({ experimentId: exp.id, prompt, reason })
        continue
      }
      const newRun = await options.runner!.run(spec, exp.edits)
      const recorded = await store.addRun(exp.id, { ...newRun, edits: exp.edits })
      put({ ...recorded, outputs: recorded.outputs }, true)
    }
  }

  const atol = options.metricAtol ?? 1e-9
  const outputs: OutputRow[] = []
  const metrics: MetricRow[] = []
  const generations: GenerationRow[] = []
  const details: DetailSection[] = []
  for (const [key, spec] of specs) {
    const byExp = cells.get(key)!
    const shared = { prompt: promptOf(spec), runs: experiments.map((exp) => byExp.get(exp.id)?.run ?? null) }
    const gen = generationRow(shared)
    if (gen) generations.push(gen)
    const detail = detailSection(shared, atol)
    if (detail) details.push({ ...detail, rows: diffOnlyRows(detail.rows, options.diffOnly ?? false) })
    const row: (OutputCell | null)[] = experiments.map((exp) => {
      const c = byExp.get(exp.id)
      return c ? { runId: c.run.id, summary: summarize(c.run), metrics: c.run.metrics, fresh: c.fresh } : null
    })
    const present = row.filter((c): c is OutputCell => c !== null)
    const prompt = promptOf(spec)
    outputs.push({ prompt, cells: row, status: statusOf(present.length, row.length, new Set(present.map((c) => c.summary)).size > 1) })
    const names = [...new Set(present.flatMap((c) => Object.keys(c.metrics)))].sort()
    for (const metric of names) {
      const values = row.map((c) => (c && typeof c.metrics[metric] === 'number' ? c.metrics[metric] : null))
      const nums = values.filter((v): v is number => v !== null)
      const differs = nums.some((v) => Math.abs(v - nums[0]) > atol || Number.isNaN(v) !== Number.isNaN(nums[0]))
      metrics.push({ prompt: prompt.text, metric, values, status: statusOf(nums.length, values.length, differs) })
    }
  }

  const diffOnly = options.diffOnly ?? false
  const keep = <T extends { status: string }>(rows: T[]) => (diffOnly ? rows.filter((r) => r.status !== 'same') : rows)
  return {
    format: 'backpack-experiment-comparison',
    version: 1,
    experiments: experiments.map((e) => ({
      id: e.id,
      uid: e.uid,
      name: e.name,
      checkpoint: e.checkpointHash,
      tags: e.tags,
      editCount: e.editCount,
    })),
    edits: keep(editRows(experiments.map((e) => e.edits.edits))),
    editEffects: await editEffectsOf(experiments, options.editEffects, diffOnly),
    outputs: keep(outputs),
    metrics: keep(metrics),
    generations: keep(generations),
    details: details.filter((d) => d.rows.length > 0),
    diffOnly,
    missing,
  }
}

function diffOnlyRows<T extends { status: string }>(rows: T[], diffOnly: boolean): T[] {
  return diffOnly ? rows.filter((r) => r.status !== 'same') : rows
}

async function editEffectsOf(
  experiments: Experiment[],
  calc: EditEffectCalculator | undefined,
  diffOnly: boolean,
): Promise<Comparison['editEffects']> {
  const fx = await editEffects(experiments, calc)
  return { ...fx, rows: diffOnlyRows(fx.rows, diffOnly) }
}

function promptOf(spec: RunSpec): PromptKey {
  const rest = otherInputs(spec.inputs)
  return {
    kind: spec.kind,
    text: promptText(spec.inputs) + (rest ? ` ${canonicalJson(rest)}` : ''),
    settings: canonicalJson(spec.settings),
  }
}

function whyNotRunnable(exp: Experiment, spec: RunSpec, runner: ExperimentRunner | undefined): string | undefined {
  if (!runner) return 'no stored run and no model to re-run it'
  if (!runner.kinds.includes(spec.kind)) return `the runner cannot re-run "${spec.kind}" runs (it runs ${runner.kinds.join(', ')})`
  if (exp.checkpointHash && exp.checkpointHash !== runner.checkpointHash) {
    return `experiment is for checkpoint ${exp.checkpointHash.slice(0, 12)}…, the loaded model is ${runner.checkpointHash.slice(0, 12)}…`
  }
  return undefined
}

/** One line per output cell: top-1 token and probability, or the generated text, or the metrics. */
export function summarize(run: RunSummary): string {
  const out = run.outputs ?? {}
  const headline = runHeadline(run)
  if (headline !== undefined) return headline
  const topk = out.topk
  if (Array.isArray(topk) && topk.length > 0) {
    const first = topk[0] as { token?: unknown; id?: unknown; prob?: unknown }
    const label = typeof first.token === 'string' ? JSON.stringify(first.token) : `#${String(first.id)}`
    return typeof first.prob === 'number' ? `${label} ${first.prob.toFixed(4)}` : label
  }
  if (typeof out.text === 'string') return out.text
  return Object.entries(run.metrics)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k}=${formatNumber(v)}`)
    .join(' ')
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v)
  return String(Number(v.toPrecision(6)))
}
