import type { RunArrayEntry } from '../../shared/store/run-array-types'
import type { BlobArray, RunBlob, RunRecord } from '../../shared/store/experiment-types'

/**
 * Every numeric array of a run, named, with what it means: the run's stored blobs as they are,
 * and the arrays a notebook wants from its outputs (top-k ids and probabilities, generated token
 * log-probs, attribution contributions, atlas scores, suite per-item figures, per-document
 * evaluation figures). A blob wins over an outputs array of the same name.
 */
export interface RunArray extends RunBlob {
  meaning: string
  source: RunArrayEntry['source']
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined)
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Obj => x !== undefined) : [])

/** What stored blobs of the known run kinds hold (others are described by their name). */
const BLOB_MEANINGS: Record<string, string> = {
  logProbs: 'log p(token | prefix) of every predicted token (natural log), in order',
  'baseline.logProbs': 'log p of each generated token of the baseline generation',
  'edited.logProbs': 'log p of each generated token of the generation under the edits',
}

class Collector {
  readonly arrays = new Map<string, RunArray>()
  constructor(blobs: Record<string, RunBlob>) {
    for (const [name, b] of Object.entries(blobs)) {
      // two stored names that become the same member name ("a/b", "a_b") both stay: the later gets a suffix
      let member = safeName(name)
      for (let n = 2; this.arrays.has(member); n++) member = `${safeName(name)}_${n}`
      this.arrays.set(member, { ...b, meaning: BLOB_MEANINGS[name] ?? `the run's stored array "${name}"`, source: 'blob' })
    }
  }

  /** A column of numbers from a list of objects (missing or non-numeric entries make it NaN, ids −1). */
  column(name: string, rows: Obj[], field: string, meaning: string, dtype: 'float64' | 'int32' = 'float64'): void {
    if (rows.length === 0 || !rows.some((r) => typeof r[field] === 'number')) return
    const values = rows.map((r) => (typeof r[field] === 'number' ? (r[field] as number) : dtype === 'int32' ? -1 : NaN))
    this.put(name, dtype, [values.length], values, meaning)
  }

  /** A (rows, k) matrix from a list of lists; skipped when the lists are ragged. */
  matrix(name: string, lists: Obj[][], field: string, meaning: string, dtype: 'float64' | 'int32' = 'float64'): void {
    if (lists.length === 0 || lists.some((l) => l.length !== lists[0].length) || lists[0].length === 0) return
    const values = lists.flatMap((l) => l.map((r) => (typeof r[field] === 'number' ? (r[field] as number) : dtype === 'int32' ? -1 : NaN)))
    this.put(name, dtype, [lists.length, lists[0].length], values, meaning)
  }

  put(name: string, dtype: 'float32' | 'float64' | 'int32', shape: number[], values: ArrayLike<number>, meaning: string): void {
    if (this.arrays.has(name)) return
    const data: BlobArray =
      dtype === 'int32' ? Int32Array.from(values) : dtype === 'float32' ? Float32Array.from(values) : Float64Array.from(values)
    this.arrays.set(name, { dtype, shape, data, meaning, source: 'outputs' })
  }
}

/** The arrays of one run, in a stable order (blobs first, then by name). */
export function runArrays(run: Pick<RunRecord, 'kind' | 'inputs' | 'outputs' | 'blobs'>): Map<string, RunArray> {
  const c = new Collector(run.blobs)
  const out = obj(run.outputs) ?? {}
  switch (run.kind) {
    case 'predict':
      c.column('tokens.ids', list(out.tokens), 'id', 'token ids of the prompt', 'int32')
      c.column('topk.ids', list(out.topk), 'id', 'next-token top-k after the prompt: token ids, most probable first', 'int32')
      c.column('topk.probs', list(out.topk), 'prob', 'next-token top-k probabilities (same order as topk.ids)')
      c.column('topk.logits', list(out.topk), 'logit', 'next-token top-k logits (same order as topk.ids)')
      c.column(
        'logProbs.ranks',
        list(out.logProbs),
        'rank',
        'rank of each prompt token under the model (1 = top choice), positions 1…',
        'int32',
      )
      break
    case 'generate':
      for (const side of ['baseline', 'edited'] as const) {
        const view = obj(out[side])
        if (!view) continue
        c.column(`${side}.ids`, list(view.tokens), 'id', `token ids of the ${side} generation`, 'int32')
        c.column(`${side}.logProbs`, list(view.tokens), 'logProb', `log p of each generated token of the ${side} generation`)
      }
      break
    case 'attribute': {
      const rows = list(out.contributions)
      c.column('contributions.position', rows, 'position', 'source position j of each contribution (largest |value| first)', 'int32')
      c.column('contributions.tokenId', rows, 'tokenId', 'token id at the source position', 'int32')
      c.column('contributions.sense', rows, 'sense', 'sense index of each contribution', 'int32')
      c.column('contributions.value', rows, 'value', 'α[sense, q, j] · (E·C(x_j)_sense)[target]: the contribution to the target logit')
      break
    }
    case 'senses':
      sensesArrays(c, String(run.inputs.lookup ?? ''), out)
      break
    case 'suite':
      suiteArrays(c, String(run.inputs.suite ?? ''), out)
      break
    case 'evaluate': {
      const docs = list(out.documents)
      for (const f of ['perplexity', 'meanLogProb', 'sumLogProb'] as const)
        c.column(`documents.${f}`, docs, f, `${f} of each document, in order`)
      c.column('documents.predicted', docs, 'predicted', 'tokens scored in each document (its slice of logProbs)', 'int32')
      if (typeof out.logProbs === 'string') {
        const bytes = Buffer.from(out.logProbs, 'base64')
        c.put(
          'logProbs',
          'float32',
          [bytes.byteLength >> 2],
          new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >> 2),
          BLOB_MEANINGS.logProbs,
        )
      }
      break
    }
  }
  return c.arrays
}

function sensesArrays(c: Collector, lookup: string, out: Obj): void {
  if (lookup === 'atlas') {
    const cards = list(out.senses)
    c.column('senses.norm', cards, 'norm', 'norm of each sense vector C(x)_sense')
    c.matrix(
      'senses.top.ids',
      cards.map((s) => list(s.top)),
      'id',
      '(sense, k): tokens with the highest E·C scores per sense',
      'int32',
    )
    c.matrix(
      'senses.top.scores',
      cards.map((s) => list(s.top)),
      'score',
      '(sense, k): their scores E·C',
    )
    c.matrix(
      'senses.bottom.ids',
      cards.map((s) => list(s.bottom)),
      'id',
      '(sense, k): tokens with the lowest E·C scores per sense',
      'int32',
    )
    c.matrix(
      'senses.bottom.scores',
      cards.map((s) => list(s.bottom)),
      'score',
      '(sense, k): their scores E·C',
    )
  } else if (lookup === 'neighbours') {
    c.column('neighbours.ids', list(out.neighbours), 'id', 'nearest tokens by sense similarity, nearest first', 'int32')
    c.column('neighbours.scores', list(out.neighbours), 'score', 'their similarity scores')
  } else if (lookup === 'reverse') {
    c.column('entries.ids', list(out.entries), 'id', 'tokens whose sense pushes the target most, strongest first', 'int32')
    c.column('entries.senses', list(out.entries), 'sense', 'the sense of each entry', 'int32')
    c.column('entries.scores', list(out.entries), 'score', 'the score E_target·C(token)_sense of each entry')
  }
}

function suiteArrays(c: Collector, suite: string, out: Obj): void {
  if (suite === 'gender-bias') {
    const rows = list(out.perProfession)
    c.column('perProfession.token', rows, 'token', 'token id of each profession (in the order of professions.used)', 'int32')
    for (const f of ['unmodified', 'removeSense', 'optimizeSense', 'w'] as const)
      c.column(`perProfession.${f}`, rows, f, `${f === 'w' ? 'optimised weight' : `bias under "${f}"`} of each profession`)
  } else if (suite === 'knowledge-edit') {
    const cases = list(out.cases)
    const pick = (path: string[]) => cases.map((k) => ({ v: path.reduce<unknown>((o, p) => obj(o)?.[p], k) }))
    c.column('cases.logOddsChange', pick(['mean', 'logOddsChange']), 'v', 'change of log p(add) − log p(remove) per case')
    c.column('cases.after.pAdd', pick(['mean', 'after', 'pAdd']), 'v', 'mean p(add) after the edit, per case')
    c.column('cases.after.pRemove', pick(['mean', 'after', 'pRemove']), 'v', 'mean p(remove) after the edit, per case')
    c.column(
      'cases.heldout.relativeChange',
      pick(['degradation', 'heldout', 'relativeChange']),
      'v',
      'relative perplexity change on held-out text, per case',
    )
  } else if (suite === 'topic') {
    const summary = list(out.summary)
    for (const f of ['strength', 'bagMass', 'bagShare', 'perplexity'] as const)
      c.column(`summary.${f}`, summary, f, `${f} per strength, averaged over topics`)
    const results = list(out.topics).map((t) => list(t.results))
    for (const f of ['bagMass', 'bagShare', 'perplexity'] as const)
      c.matrix(`topics.${f}`, results, f, `(topic, strength): ${f} of each topic at each strength`)
  }
}

/** A name usable as a zip member and a Python identifier-ish key: letters, digits, `.`, `_`, `-`. */
function safeName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_')
  return s === '' ? '_' : s.slice(0, 200)
}
