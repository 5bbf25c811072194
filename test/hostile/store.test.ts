import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ExperimentStore } from '../../src/main/store/experiment-store'
import { WorkbenchError } from '../../src/shared/errors'
import { changedFiles, folderSnapshot } from '../main/store/helpers/files'
import { sampleCases } from './sample-cases'
import { storeCases, type StoreCase } from './store-cases'
import { buildMaterial, fingerprint, type StoreMaterial } from './store-fixtures'

/**
 * The experiment store against corrupt, foreign and altered databases (store-cases.ts): each
 * case is opened as the CLI opens a log and, when it opens, read completely. Whatever happens
 * must be a typed error or the log's exact content, in bounded time; a refused file must stay
 * byte-identical with nothing created beside it. `npm test` runs a sample of each category,
 * `npm run test:slow` every case; the per-category table is printed at the end.
 */
const PER_CATEGORY = 4
const CASE_TIMEOUT_MS = 30_000

type Outcome = { kind: 'read' | 'wrong' | 'refused' | 'untyped' | 'hang'; code?: string; changed: string[] }

let material: StoreMaterial
let root: string
let counter = 0
const results: { c: StoreCase; o: Outcome }[] = []

beforeAll(async () => {
  material = await buildMaterial()
  root = mkdtempSync(join(tmpdir(), 'hostile-store-cases-'))
}, 120_000)

afterAll(() => {
  material?.cleanup()
  if (root) rmSync(root, { recursive: true, force: true })
  printTable()
})

async function attempt(files: Record<string, Buffer>): Promise<Outcome> {
  const dir = join(root, String(counter++))
  mkdirSync(dir)
  for (const [name, bytes] of Object.entries(files)) writeFileSync(join(dir, name), bytes)
  const before = folderSnapshot(dir)
  const run = async (): Promise<Omit<Outcome, 'changed'>> => {
    let store: ExperimentStore
    try {
      store = await ExperimentStore.open(join(dir, 'log.sqlite'))
    } catch (e) {
      return e instanceof WorkbenchError && e.code !== 'internal' ? { kind: 'refused', code: e.code } : { kind: 'untyped', code: String(e) }
    }
    try {
      return (await fingerprint(store)) === material.expected ? { kind: 'read' } : { kind: 'wrong' }
    } catch (e) {
      return e instanceof WorkbenchError && e.code !== 'internal' ? { kind: 'refused', code: e.code } : { kind: 'untyped', code: String(e) }
    } finally {
      await store.close().catch(() => undefined)
    }
  }
  let timer: NodeJS.Timeout | undefined
  const hang = new Promise<Omit<Outcome, 'changed'>>((resolve) => (timer = setTimeout(() => resolve({ kind: 'hang' }), CASE_TIMEOUT_MS)))
  const o = await Promise.race([run(), hang])
  clearTimeout(timer)
  return { ...o, changed: o.kind === 'refused' ? changedFiles(before, folderSnapshot(dir)) : [] }
}

const all = storeCases()
const categories = [...new Set(all.map((c) => c.category))]

describe('hostile store inputs', () => {
  for (const category of categories) {
    describe(category, () => {
      for (const c of sampleCases(
        all.filter((x) => x.category === category),
        PER_CATEGORY,
      )) {
        it(
          c.name,
          async () => {
            const o = await attempt(await c.files(material))
            results.push({ c, o })
            expect(o.kind, `${o.kind} ${o.code ?? ''}`).not.toBe('untyped')
            expect(o.kind).not.toBe('hang')
            if (o.kind === 'refused') expect(o.changed, 'a refused file must stay as it was').toEqual([])
            if (c.expect === 'refuse') expect(o.kind).toBe('refused')
            if (c.expect === 'read') expect(o.kind).toBe('read')
            if (c.expect === 'either' && o.kind === 'wrong')
              console.warn(`[hostile store] ${category} / ${c.name}: opened, content differs (SQLite keeps no page checksums)`)
          },
          CASE_TIMEOUT_MS + 10_000,
        )
      }
    })
  }
})

function printTable(): void {
  const rows = categories.map((category) => {
    const rs = results.filter((r) => r.c.category === category)
    const count = (f: (r: { c: StoreCase; o: Outcome }) => boolean) => rs.filter(f).length
    const codes = [...new Set(rs.filter((r) => r.o.kind === 'refused').map((r) => r.o.code))].sort().join(' ')
    return [
      category,
      rs.length,
      count((r) => r.o.kind === 'refused'),
      count((r) => r.o.kind === 'read'),
      count((r) => r.o.kind === 'untyped'),
      count((r) => r.o.kind === 'hang'),
      count((r) => r.o.kind === 'wrong' || (r.o.kind === 'read' && r.c.expect === 'refuse')),
      count((r) => r.o.changed.length > 0),
      codes,
    ]
  })
  const head = ['category', 'cases', 'typed errors', 'read exactly', 'crashes', 'hangs', 'wrongly accepted', 'data lost', 'codes']
  console.log(
    ['', `| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n'),
  )
}
