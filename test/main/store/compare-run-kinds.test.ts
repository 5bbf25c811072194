import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { compareExperiments } from '../../../src/main/store/compare-experiments'
import { firstDifference } from '../../../src/main/store/compare-details'
import { ExperimentStore } from '../../../src/main/store/experiment-store'
import { comparisonTables, markedText, renderComparison } from '../../../src/main/store/render-comparison'
import type { SenseEditDocument } from '../../../src/shared/edits/sense-edits'
import type { Comparison } from '../../../src/shared/store/comparison-types'
import { attributeRunOf, CHECKPOINT, runsOfEveryKind } from '../../helpers/run-factories'
import { dbPath, tempDir } from './helpers/temp-db'

let tmp: ReturnType<typeof tempDir>
let store: ExperimentStore
beforeEach(async () => {
  tmp = tempDir('cmp-kinds-')
  store = await ExperimentStore.open(dbPath(tmp.dir))
})
afterEach(async () => {
  await store.close()
  tmp.cleanup()
})

const doc = (edits: SenseEditDocument['edits']): SenseEditDocument => ({
  format: 'backpack-sense-edits',
  version: 1,
  checkpoint: CHECKPOINT,
  edits,
})
const EDITED_GENERATION = [' that', ' he', ' was']

/** A baseline experiment and an edited one, each with a run of every kind (the edited runs' figures moved by 0.05). */
async function baselineAndEdited(): Promise<number[]> {
  const base = await store.save({ name: 'baseline', edits: doc([]) })
  const edited = await store.save({
    name: 'nurse sense 10 off',
    edits: doc([{ kind: 'scale-sense', token: ' nurse', sense: 10, factor: 0 }]),
  })
  for (const run of runsOfEveryKind(0, null)) await store.addRun(base.id, run)
  for (const run of runsOfEveryKind(0.05, EDITED_GENERATION)) await store.addRun(edited.id, run)
  return [base.id, edited.id]
}

const section = (c: Comparison, kind: string, text: string) =>
  c.details.find((d) => d.prompt.kind === kind && d.prompt.text.startsWith(text))

describe('compare: runs of every kind', () => {
  it('lines up one column per experiment for every kind, each shared run on one row', async () => {
    const ids = await baselineAndEdited()
    const c = await compareExperiments(store, ids)
    expect(c.experiments.map((e) => e.name)).toEqual(['baseline', 'nurse sense 10 off'])
    const kinds = c.outputs.map((r) => `${r.prompt.kind} ${r.prompt.text.split(' #')[0]}`)
    expect(kinds).toEqual([
      'predict The nurse said',
      'generate The nurse said',
      'suite suite:gender-bias',
      'suite suite:knowledge-edit',
      'suite suite:topic',
      'senses atlas:"nurse"',
      'senses neighbours:"nurse"',
      'senses reverse:" nurse"',
      'attribute The nurse',
      'evaluate documents:a.txt, b.txt',
    ])
    for (const row of c.outputs) expect(row.cells.every((cell) => cell !== null)).toBe(true)
    expect(c.outputs.find((r) => r.prompt.kind === 'evaluate')!.cells.map((x) => x!.summary)).toEqual([
      expect.stringMatching(/^perplexity 3\.\d+ over 7 tokens$/),
      expect.stringMatching(/^perplexity 3\.\d+ over 7 tokens$/),
    ])
  })

  it('shows generations side by side with the first differing token marked', async () => {
    const c = await compareExperiments(store, await baselineAndEdited())
    expect(c.generations).toHaveLength(1)
    const [base, edited] = c.generations[0].cells
    expect(base).toMatchObject({ text: ' that she was', firstDifference: null })
    expect(edited).toMatchObject({ text: ' that he was', tokens: EDITED_GENERATION, firstDifference: 1 })
    expect(c.generations[0].status).toBe('changed')
    expect(markedText(edited!)).toBe(' that[[ he]] was')
    expect(firstDifference(['a', 'b'], ['a', 'b', 'c'])).toBe(2)
    expect(firstDifference(['a'], ['a'])).toBeNull()
  })

  it('gives suite summaries and per-item rows with deltas from the first experiment', async () => {
    const c = await compareExperiments(store, await baselineAndEdited())
    const bias = section(c, 'suite', 'suite:gender-bias')!
    const nurse = bias.rows.find((r) => r.item === 'nurse' && r.field === 'removeSense')!
    expect(nurse.values).toEqual([2, expect.closeTo(1.95, 12)])
    expect(nurse.deltas![1]).toBeCloseTo(-0.05, 12)
    expect(nurse.status).toBe('changed')
    expect(bias.rows.find((r) => r.item === 'nurse' && r.field === 'unmodified')!.status).toBe('same')
    expect(bias.rows.find((r) => r.item === 'summary' && r.field === 'removeSense meanBias')!.deltas![1]).toBeCloseTo(-0.05, 12)

    const topic = section(c, 'suite', 'suite:topic')!
    expect(topic.rows.map((r) => r.item)).toContain('arts @ strength 2')
    const ke = section(c, 'suite', 'suite:knowledge-edit')!
    expect(ke.rows.find((r) => r.field === 'logOddsChange')!.values).toEqual([0, expect.closeTo(0.1, 12)])
  })

  it('gives evaluation perplexities per document with their deltas', async () => {
    const c = await compareExperiments(store, await baselineAndEdited())
    const ev = section(c, 'evaluate', 'documents:')!
    const perDoc = ev.rows.filter((r) => r.field === 'perplexity')
    expect(perDoc.map((r) => r.item)).toEqual(['a.txt', 'b.txt', 'total (2 documents)'])
    for (const r of perDoc) {
      const [a, b] = r.values as number[]
      expect(b / a).toBeCloseTo(Math.exp(0.05), 10) // every log-prob 0.05 lower
      expect(r.deltas![1]).toBeCloseTo(b - a, 12)
    }
  })

  it('lines up lookups and attributions by rank and by (position, sense)', async () => {
    const c = await compareExperiments(store, await baselineAndEdited())
    expect(section(c, 'senses', 'atlas')!.rows.find((r) => r.item === 'sense 1' && r.field === 'norm')!.values).toEqual([6, 6.05])
    expect(section(c, 'senses', 'neighbours')!.rows.find((r) => r.item === '#1' && r.field === 'token')!.values).toEqual([
      '" doctor"',
      '" doctor"',
    ])
    expect(section(c, 'senses', 'reverse')!.rows.find((r) => r.item === '#2' && r.field === 'score')!.deltas![1]).toBeCloseTo(-0.05, 12)
    const attr = section(c, 'attribute', 'The nurse')!
    expect(attr.rows.find((r) => r.item.startsWith('position 0'))!.values).toEqual([1.5, 1.55])
  })

  it('diff-only leaves out equal rows in every section; with every row kept, equal rows are "same"', async () => {
    const ids = await baselineAndEdited()
    const all = await compareExperiments(store, ids, { diffOnly: false })
    const diff = await compareExperiments(store, ids, { diffOnly: true })
    const rows = (c: Comparison) => c.details.flatMap((d) => d.rows)
    expect(rows(all).some((r) => r.status === 'same')).toBe(true)
    expect(rows(diff).every((r) => r.status !== 'same')).toBe(true)
    expect(rows(diff).length).toBeGreaterThan(0)
    expect(rows(diff).length).toBeLessThan(rows(all).length)
  })

  it("keeps runs apart whose inputs differ beyond their text (an attribution's position kept in inputs)", async () => {
    const e = await store.save({ name: 'attr', edits: doc([]) })
    const at = (position: number) => ({ ...attributeRunOf('The nurse'), inputs: { text: 'The nurse', position }, settings: {} })
    await store.addRun(e.id, at(0))
    await store.addRun(e.id, at(1))
    const c = await compareExperiments(store, [e.id])
    expect(c.outputs.map((r) => r.prompt.text)).toEqual(['The nurse {"position":0}', 'The nurse {"position":1}'])
  })

  it('has no cap on the number of experiments', async () => {
    const ids: number[] = []
    for (let i = 0; i < 12; i++) {
      const e = await store.save({ name: `e${i}`, edits: doc([{ kind: 'scale-sense', token: ' nurse', sense: 10, factor: i / 10 }]) })
      await store.addRun(e.id, runsOfEveryKind(i / 100)[9])
      ids.push(e.id)
    }
    const c = await compareExperiments(store, ids, { diffOnly: true })
    expect(c.experiments).toHaveLength(12)
    expect(section(c, 'evaluate', 'documents:')!.rows[0].values).toHaveLength(12)
  })

  it('renders every section to CSV, Markdown and LaTeX (none empty), generations marked', async () => {
    const c = await compareExperiments(store, await baselineAndEdited(), { diffOnly: true })
    const titles = comparisonTables(c).map((t) => t.title)
    expect(titles).toEqual(expect.arrayContaining(['Edits', 'Edit effects', 'Outputs', 'Metrics', 'Generations']))
    expect(titles.filter((t) => t.startsWith('Details: '))).toHaveLength(c.details.length)
    const tex = renderComparison(c, 'latex')
    expect(tex.match(/\\begin\{tabular\}/g)).toHaveLength(titles.length)
    expect(tex).toContain('that[[ he]] was')
    for (const block of tex.split('\\midrule').slice(1)) expect(block.trim().startsWith('\\bottomrule')).toBe(false)
    // the edit effects need the model: not computed here, and the table says so
    expect(c.editEffects).toMatchObject({ needed: true, computed: false })
    expect(renderComparison(c, 'md')).toContain('(not computed)')
    const csv = renderComparison(c, 'csv')
    expect(csv).toMatch(
      /\r\n"details: evaluate · documents:a\.txt, b\.txt #[0-9a-f]{12}",a\.txt,perplexity,3\.49034,3\.6693 \(\+0\.178954\)\r\n/,
    )
    expect(csv).toContain('\r\ndetails: attribute · The nurse,target,logit,0.75,0.8 (+0.05)\r\n')
  })
})
