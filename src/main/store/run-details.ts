import type { RunSummary } from '../../shared/store/experiment-types'

/**
 * The figures of one stored run, item by item, read from its outputs (the API response of the
 * method that made it): what a comparison lines up across experiments. Every reader is lenient:
 * a field a run lacks (an older app, a setting that was off) is left out, never an error.
 */
export interface DetailItem {
  item: string
  field: string
  value: number | string
}

type Obj = Record<string, unknown>
const obj = (v: unknown): Obj | undefined => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Obj) : undefined)
const list = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj).filter((x): x is Obj => x !== undefined) : [])
const num = (v: unknown): number | undefined => (typeof v === 'number' ? v : undefined)
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

/** How many entries of a ranked list (top tokens, neighbours, contributions) a comparison shows. */
export const RANKED_ROWS = 10

class Items {
  readonly out: DetailItem[] = []
  add(item: string, field: string, value: unknown): void {
    if (typeof value === 'number' || typeof value === 'string') this.out.push({ item, field, value })
  }
  addAll(item: string, o: Obj | undefined, fields: string[], prefix = ''): void {
    for (const f of fields) this.add(item, prefix + f, o?.[f])
  }
}

/** Detail items of a run, by kind; an empty list for kinds without a detail table (predict, generate). */
export function runDetails(run: Pick<RunSummary, 'kind' | 'inputs' | 'outputs'>): DetailItem[] {
  const out = obj(run.outputs) ?? {}
  const items = new Items()
  switch (run.kind) {
    case 'suite':
      if (run.inputs.suite === 'gender-bias') genderBias(out, items)
      else if (run.inputs.suite === 'knowledge-edit') knowledgeEdit(out, items)
      else if (run.inputs.suite === 'topic') topic(out, items)
      break
    case 'evaluate':
      for (const d of list(out.documents)) items.addAll(str(d.name) ?? '?', d, ['perplexity', 'meanLogProb', 'predicted'])
      items.addAll(`total (${num(obj(out.total)?.documents) ?? '?'} documents)`, obj(out.total), ['perplexity', 'meanLogProb', 'predicted'])
      break
    case 'senses':
      senses(String(run.inputs.lookup ?? ''), out, items)
      break
    case 'attribute':
      items.addAll('target', out, ['logit', 'total'])
      items.add('target', 'token', str(obj(out.target)?.text))
      for (const c of list(out.contributions).slice(0, RANKED_ROWS)) {
        items.add(`position ${num(c.position)} ${JSON.stringify(str(c.text) ?? '')} sense ${num(c.sense)}`, 'contribution', c.value)
      }
      break
  }
  return items.out
}

function genderBias(out: Obj, items: Items): void {
  const s = obj(out.settings)
  items.addAll('summary', obj(s?.unmodified), ['meanBias'], 'unmodified ')
  items.addAll('summary', obj(s?.removeSense), ['meanBias', 'reduction'], 'removeSense ')
  items.addAll('summary', obj(s?.optimizeSense), ['meanBias', 'reduction', 'meanW'], 'optimizeSense ')
  for (const p of list(out.perProfession)) items.addAll(str(p.profession) ?? '?', p, ['unmodified', 'removeSense', 'optimizeSense', 'w'])
}

function knowledgeEdit(out: Obj, items: Items): void {
  for (const c of list(out.cases)) {
    const name = str(c.name) ?? '?'
    const mean = obj(c.mean)
    items.addAll(name, obj(mean?.before), ['pAdd', 'pRemove'], 'before ')
    items.addAll(name, obj(mean?.after), ['pAdd', 'pRemove'], 'after ')
    items.add(name, 'logOddsChange', mean?.logOddsChange)
    items.add(name, 'senseChange norm', obj(c.senseChange)?.norm)
    const deg = obj(c.degradation)
    items.addAll(name, obj(deg?.heldout), ['perplexityBefore', 'perplexityAfter', 'relativeChange'], 'heldout ')
    items.addAll(name, obj(deg?.unrelated), ['meanKl', 'maxKl'], 'unrelated ')
    items.addAll(name, obj(deg?.mentions), ['perplexityBefore', 'perplexityAfter', 'relativeChange', 'meanKl'], 'mentions ')
  }
}

function topic(out: Obj, items: Items): void {
  for (const s of list(out.summary)) items.addAll(`summary @ strength ${num(s.strength)}`, s, ['bagMass', 'bagShare', 'perplexity'])
  for (const t of list(out.topics)) {
    for (const r of list(t.results))
      items.addAll(`${str(t.topic) ?? '?'} @ strength ${num(r.strength)}`, r, ['bagMass', 'bagShare', 'perplexity'])
  }
}

const tokenList = (entries: Obj[]) => entries.map((t) => JSON.stringify(str(t.text) ?? '')).join(' ')

function senses(lookup: string, out: Obj, items: Items): void {
  if (lookup === 'atlas') {
    for (const card of list(out.senses)) {
      const item = `sense ${num(card.sense)}`
      items.add(item, 'norm', card.norm)
      items.add(item, 'top', tokenList(list(card.top).slice(0, 5)))
      items.add(item, 'bottom', tokenList(list(card.bottom).slice(0, 5)))
    }
  } else if (lookup === 'neighbours') {
    list(out.neighbours)
      .slice(0, RANKED_ROWS)
      .forEach((n, i) => {
        items.add(`#${i + 1}`, 'token', JSON.stringify(str(n.text) ?? ''))
        items.add(`#${i + 1}`, 'score', n.score)
      })
  } else if (lookup === 'reverse') {
    list(out.entries)
      .slice(0, RANKED_ROWS)
      .forEach((e, i) => {
        items.add(`#${i + 1}`, 'token/sense', `${JSON.stringify(str(e.text) ?? '')}/${num(e.sense)}`)
        items.add(`#${i + 1}`, 'score', e.score)
      })
  }
}

/** The generation a run shows under its experiment's edits: the edited one, else the baseline. */
export function generationOf(run: Pick<RunSummary, 'kind' | 'outputs'>): { text: string; tokens: string[] } | null {
  if (run.kind !== 'generate') return null
  const out = obj(run.outputs) ?? {}
  const view = obj(out.edited) ?? obj(out.baseline)
  const text = str(view?.text)
  if (text === undefined) return null
  const tokens = list(view?.tokens).map((t) => str(t.text) ?? '')
  return { text, tokens: tokens.length > 0 ? tokens : [text] }
}

/** One line for a run of any kind (the Outputs table's cell). */
export function runHeadline(run: Pick<RunSummary, 'kind' | 'inputs' | 'outputs'>): string | undefined {
  const out = obj(run.outputs) ?? {}
  const f = (v: unknown) => (typeof v === 'number' ? String(Number(v.toPrecision(6))) : '?')
  switch (run.kind) {
    case 'generate':
      return generationOf(run)?.text
    case 'evaluate': {
      const t = obj(out.total)
      return t ? `perplexity ${f(t.perplexity)} over ${f(t.predicted)} tokens` : undefined
    }
    case 'attribute':
      return typeof out.logit === 'number' ? `logit ${f(out.logit)} of ${JSON.stringify(str(obj(out.target)?.text) ?? '')}` : undefined
    case 'suite': {
      const s = obj(out.settings)
      if (run.inputs.suite === 'gender-bias' && s)
        return `mean bias ${f(obj(s.unmodified)?.meanBias)} → ${f(obj(s.removeSense)?.meanBias)} (sense removed)`
      if (run.inputs.suite === 'knowledge-edit')
        return (
          list(out.cases)
            .map((c) => `${str(c.name)}: Δlog-odds ${f(obj(c.mean)?.logOddsChange)}`)
            .join('; ') || undefined
        )
      if (run.inputs.suite === 'topic')
        return (
          list(out.summary)
            .map((r) => `strength ${f(r.strength)}: share ${f(r.bagShare)}`)
            .join('; ') || undefined
        )
      return undefined
    }
    case 'senses': {
      if (run.inputs.lookup === 'neighbours') return tokenList(list(out.neighbours).slice(0, 5)) || undefined
      if (run.inputs.lookup === 'reverse') return tokenList(list(out.entries).slice(0, 5)) || undefined
      if (run.inputs.lookup === 'atlas') return `${list(out.senses).length} senses of ${JSON.stringify(str(out.word) ?? '')}`
      return undefined
    }
  }
  return undefined
}
