import { mkdirSync, mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeEdits } from '../../src/renderer/src/lib/edits-url'
import { buildWeb } from './helpers/build-web'
import { launchChromium } from './helpers/launch-chromium'
import { startServeProcess, type ServeProcess } from './helpers/serve-process'

/**
 * What a newcomer sees: `cli serve` with no --checkpoint opens the bundled demo model
 * (resources/demo-backpack), and each view is opened from a shareable URL (prompt, edits, word,
 * sense in the hash) with the README's example — " rough", whose sense 12 carries the "ness" of
 * "roughness". The screenshots in docs/screenshots/ are these captures (README there says how);
 * what each view shows is checked against the same server's API.
 */
const TEXT = 'roughness: harsh or severe speech or behavior. Men associate the rough'
const EDITS = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' rough', sense: 12, factor: 0 }] }
const DEMO = resolve('resources/demo-backpack')
const shots = process.env.BACKPACK_SCREENSHOTS_DIR ?? mkdtempSync(join(tmpdir(), 'bw-demo-screenshots-'))
let serve: ServeProcess
let browser: { context: BrowserContext; close: () => Promise<void> }
let page: Page
let origin: string
let token: string

async function api<T>(method: string, request: unknown): Promise<T> {
  const res = await fetch(`${origin}/api/${method}`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}` },
    body: JSON.stringify(request),
  })
  const body = (await res.json()) as { ok: boolean; value: T; error?: unknown }
  if (!body.ok) throw new Error(`${method}: ${JSON.stringify(body.error)}`)
  return body.value
}

const shared = `text=${encodeURIComponent(TEXT)}&edits=${encodeEdits(EDITS)}`
const open = (view: string, extra = '') => page.goto(`${origin}/#/${view}?${shared}${extra}`)
const shot = (name: string, fullPage = false) => page.screenshot({ path: join(shots, `${name}.png`), fullPage })

beforeAll(async () => {
  mkdirSync(shots, { recursive: true })
  const web = await buildWeb()
  const data = mkdtempSync(join(tmpdir(), 'bw-demo-data-'))
  // no --checkpoint: a first start opens the bundled demo
  serve = await startServeProcess(['--port', '0', '--web', web], {
    BACKPACK_CACHE_DIR: join(data, 'cache'),
    BACKPACK_DATA_DIR: join(data, 'data'),
  })
  origin = new URL(serve.url).origin
  token = new URL(serve.url).searchParams.get('token')!
  browser = await launchChromium()
  page = await browser.context.newPage()
  page.on('pageerror', (e) => console.error('page error:', e))
  console.log(`demo screenshots: ${shots}`)
})

afterAll(async () => {
  await browser?.close()
  if (serve) expect(await serve.stop()).toBe(0)
})

describe('the bundled demo in Chromium, view by view from shareable URLs', () => {
  it('opens the demo by default and passes the parity self-check', async () => {
    await page.goto(serve.url)
    await page.getByTestId('content-hash').waitFor({ timeout: 120_000 })
    const info = await api<{ checkpointDir: string; bundledDemo: boolean }>('model.info', {})
    expect(resolve(info.checkpointDir)).toBe(DEMO)
    expect(info.bundledDemo).toBe(true)
    await page.getByRole('button', { name: 'Run parity check' }).click()
    const verdict = page.getByTestId('parity-verdict')
    await verdict.waitFor({ timeout: 120_000 })
    expect(await verdict.textContent()).toMatch(/^Passed/)
    await shot('model', true)
  })

  it('senses of " rough" with sense 12 selected', async () => {
    await open('senses', '&word=%20rough&sense=12')
    const atlas = await api<{ senses: { top: { text: string }[] }[] }>('senses.lookup', { word: ' rough' })
    const cards = page.getByTestId('sense-card')
    await expect.poll(() => cards.count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(16)
    await expect
      .poll(async () => (await page.locator('main').textContent()) ?? '', { timeout: 30_000 })
      .toContain(JSON.stringify(atlas.senses[12].top[0].text))
    await shot('senses')
  })

  it('the prompt with the edit applied: "ness" after " rough" drops', async () => {
    await open('prompt')
    const before = await api<{ next: { text: string; prob: number }[] }>('predict.next', { text: TEXT, topK: 10 })
    expect(before.next[0].text).toBe('ness')
    const caption = page.getByRole('table').filter({ hasText: 'Next token' })
    await caption.waitFor({ timeout: 60_000 })
    await expect.poll(async () => (await caption.locator('tbody tr').first().textContent()) ?? '', { timeout: 30_000 }).toContain('"ness"')
    await shot('prompt')
  })

  it('interventions: the ablation, its effect and blast radius', async () => {
    await open('interventions')
    await page.getByTestId('effect').waitFor({ timeout: 60_000 })
    // both tables: the unedited prediction and the edited one beside it (with its Δp column)
    await expect.poll(async () => (await page.getByTestId('effect').textContent()) ?? '', { timeout: 60_000 }).toContain('Edited')
    await shot('interventions')
  })

  it('generate: baseline and edited, same seed', async () => {
    await page.goto(`${origin}/#/generate?text=${encodeURIComponent('Men associate the rough')}&edits=${encodeEdits(EDITS)}`)
    // greedy keeps "ness" (still the most likely token under the edit); sampling with one seed shows the difference
    await page.getByTestId('gen-strategy').selectOption('sample')
    await page.getByTestId('gen-seed').fill('1')
    await page.getByTestId('generate').click()
    await expect
      .poll(async () => (await page.locator('main').textContent()) ?? '', { timeout: 120_000 })
      .toMatch(/The continuations part at generated token \d+/)
    await shot('generate')
  })

  it('suites: the knowledge edit with its degradation check', async () => {
    await open('suites')
    await page.getByTestId('run-knowledge-edit').click()
    await page.getByTestId('knowledge-edit-summary').waitFor({ timeout: 300_000 })
    await shot('suites')
  })

  it('compare: a baseline and the edit, diff-only', async () => {
    const base = await api<{ id: number }>('experiments.save', { name: 'baseline', edits: { ...EDITS, edits: [] }, prompt: TEXT })
    const edited = await api<{ id: number }>('experiments.save', { name: 'rough sense 12 off', edits: EDITS, prompt: TEXT })
    await page.goto(`${origin}/#/compare?ids=${base.id}%2C${edited.id}`)
    await expect.poll(async () => (await page.locator('main').textContent()) ?? '', { timeout: 60_000 }).toContain('rough sense 12 off')
    await shot('compare')
  })

  it("walks the README's first session in the app: atlas, neighbours, a new word, a refused edit, the ablation, α, save, compare, reload", async () => {
    // a fresh page (a hash change alone would keep the app's state): look up a word and its nearest senses
    await page.goto(serve.url)
    await page.getByTestId('content-hash').waitFor({ timeout: 120_000 })
    await page.goto(`${origin}/#/senses?word=%20rough`)
    const cards = page.getByTestId('sense-card')
    await expect.poll(() => cards.count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(16)
    await page.locator('aside').getByRole('combobox').first().selectOption('12')
    await page.getByRole('button', { name: /^Find neighbours of/ }).click()
    const nb = await api<{ neighbours: { text: string }[] }>('senses.neighbours', { word: ' rough', sense: 12, topK: 10 })
    await expect.poll(() => page.getByTestId('neighbours-word').textContent(), { timeout: 60_000 }).toContain('" rough"')
    expect(await page.locator('aside ol li').first().textContent()).toContain(JSON.stringify(nb.neighbours[0].text))
    // another word: the neighbours of " rough" are gone, not shown under " nurse"
    await page.getByTestId('sense-word').fill(' nurse')
    await page.getByRole('button', { name: 'Look up' }).click()
    await expect.poll(() => page.getByTestId('neighbours-word').count()).toBe(0)
    await expect.poll(() => page.getByTestId('sense-word').inputValue()).toBe(' nurse')

    // the prompt, unedited: "ness" first
    await page.locator('nav a[data-view="prompt"]').click()
    await page.getByTestId('prompt-input').fill(TEXT)
    const caption = page.getByRole('table').filter({ hasText: 'Next token' })
    await expect.poll(async () => (await caption.locator('tbody tr').first().textContent()) ?? '', { timeout: 60_000 }).toContain('"ness"')
    await expect.poll(() => page.getByTestId('prediction-for').textContent()).toContain('unedited model')

    // an invalid edit is refused and never joins the list; then the ablation of sense 12 of " rough"
    await page.locator('nav a[data-view="interventions"]').click()
    const rows = page.getByTestId('edit-row')
    await page.getByTestId('edit-kind').selectOption('scale-sense')
    await page.getByTestId('edit-token').fill(' xyzzyplughfrob') // several tokens
    await page.getByTestId('add-edit').click()
    await expect.poll(() => page.getByRole('alert').textContent()).toContain('edit-invalid')
    expect(await rows.count()).toBe(0)
    await page.getByTestId('edit-token').fill(' rough')
    await page.getByTestId('edit-sense').selectOption('12')
    await page.getByTestId('edit-factor').fill('0')
    await page.getByTestId('add-edit').click()
    await expect.poll(() => rows.count()).toBe(1)

    // back on the prompt: the prediction under the ablation (p("ness") drops), then the α heatmap
    await page.locator('nav a[data-view="prompt"]').click()
    const edited = await api<{ next: { text: string; prob: number }[] }>('predict.next', { text: TEXT, topK: 10, edits: EDITS })
    const ness = edited.next.find((t) => t.text === 'ness')!
    await expect.poll(() => page.getByTestId('prediction-for').textContent(), { timeout: 60_000 }).toContain('with 1 edit')
    await expect
      .poll(async () => (await caption.locator('tbody tr').filter({ hasText: '"ness"' }).textContent()) ?? '')
      .toContain(`${(ness.prob * 100).toFixed(2)}%`)
    await page.getByText('Contextualization α').click()
    const tokens = await page.locator('.tok').count()
    await expect.poll(() => page.getByTestId('alpha-heatmap').evaluate((c: HTMLCanvasElement) => c.width), { timeout: 60_000 }).toBe(tokens)

    // save the ablation and a baseline, compare them, and reopen the comparison from its URL
    await page.locator('nav a[data-view="experiments"]').click()
    await page.getByTestId('experiment-name').fill('walk: rough s12 off')
    await page.getByTestId('save-experiment').click()
    const list = page.getByTestId('experiment-list').locator('tbody tr')
    await expect.poll(() => list.filter({ hasText: 'walk: rough s12 off' }).count()).toBe(1)
    await page.locator('nav a[data-view="interventions"]').click()
    await page.getByRole('button', { name: 'remove edit 1' }).click()
    await expect.poll(() => rows.count()).toBe(0)
    await page.locator('nav a[data-view="experiments"]').click()
    await page.getByTestId('experiment-name').fill('walk: baseline')
    await page.getByTestId('save-experiment').click()
    await expect.poll(() => list.filter({ hasText: 'walk: baseline' }).count()).toBe(1)
    await list.filter({ hasText: 'walk: rough s12 off' }).getByRole('checkbox').check()
    await list.filter({ hasText: 'walk: baseline' }).getByRole('checkbox').check()
    await page.getByTestId('compare-selected').click()
    const editsTable = page.getByTestId('comparison-edits')
    await expect.poll(() => editsTable.locator('thead').textContent(), { timeout: 60_000 }).toContain('walk: baseline')
    expect(await editsTable.locator('thead').textContent()).toContain('walk: rough s12 off')
    const url = page.url()
    await page.reload()
    await expect
      .poll(() => page.getByTestId('comparison-edits').locator('thead').textContent(), { timeout: 60_000 })
      .toContain('walk: rough s12 off')
    expect(await page.getByTestId('comparison-edits').locator('thead').textContent()).toContain('walk: baseline')
    expect(page.url()).toBe(url)
  })
})
