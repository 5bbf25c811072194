import { cpSync, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { gpt2Tokenizer } from '../../src/main/tokenizer/gpt2-tokenizer'
import { buildWeb } from './helpers/build-web'
import { launchChromium } from './helpers/launch-chromium'
import { startServeProcess, type ServeProcess } from './helpers/serve-process'

/**
 * The researcher's flow in real Chromium against `cli serve` on the tiny full-vocabulary
 * fixture: load → senses → edit changes the prediction → save → fork and change → compare →
 * export. Expected values come from the same server's API, never from constants. Screenshots
 * of each view go to a temp folder printed below (not committed).
 */
const FIXTURE = resolve('test/fixtures/checkpoints/tiny-fullvocab')
// the PyTorch reference outputs for the parity self-check travel with the checkpoint copy
const REFERENCE = resolve('test/fixtures/golden/tiny-fullvocab')
const shots = mkdtempSync(join(tmpdir(), 'bw-screenshots-'))
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

beforeAll(async () => {
  const web = await buildWeb()
  const data = mkdtempSync(join(tmpdir(), 'bw-data-'))
  const checkpoint = join(data, 'tiny-fullvocab')
  cpSync(FIXTURE, checkpoint, { recursive: true })
  cpSync(REFERENCE, join(checkpoint, 'reference'), { recursive: true })
  serve = await startServeProcess(['--port', '0', '--web', web, '--checkpoint', checkpoint], {
    BACKPACK_CACHE_DIR: join(data, 'cache'),
    BACKPACK_DATA_DIR: join(data, 'data'),
  })
  origin = new URL(serve.url).origin
  token = new URL(serve.url).searchParams.get('token')!
  browser = await launchChromium()
  page = await browser.context.newPage()
  page.on('pageerror', (e) => console.error('page error:', e))
  console.log(`e2e screenshots: ${shots}`)
})

afterAll(async () => {
  await browser?.close()
  if (serve) expect(await serve.stop()).toBe(0) // SIGINT shuts the server down cleanly
})

const shot = (name: string) => page.screenshot({ path: join(shots, `${name}.png`), fullPage: true })

describe('workbench in Chromium', () => {
  it('serve prints a 127.0.0.1 URL with a token, and the API refuses requests without it', async () => {
    expect(serve.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{20,}$/)
    expect((await fetch(`${origin}/api/app.info`, { method: 'POST', body: '{}' })).status).toBe(401)
    expect((await fetch(`${origin}/api/app.info`, { method: 'POST', body: '{}', headers: { Authorization: 'Bearer wrong' } })).status).toBe(
      401,
    )
  })

  it('loads the checkpoint and shows its hash and execution provider', async () => {
    await page.goto(serve.url)
    const hash = page.getByTestId('content-hash')
    await hash.waitFor({ timeout: 120_000 })
    const info = await api<{ contentHash: string; provider: { name: string } }>('model.info', {})
    expect(await hash.textContent()).toBe(info.contentHash)
    expect(await page.getByTestId('model-info').textContent()).toContain(info.provider.name)
    // keyboard reachable: the first Tab lands on the first view link
    await page.keyboard.press('Tab')
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-view'))).toBe('model')
  })

  it('runs the parity self-check against the stored PyTorch reference outputs', async () => {
    await page.getByRole('button', { name: 'Run parity check' }).click()
    const verdict = page.getByTestId('parity-verdict')
    await verdict.waitFor({ timeout: 120_000 })
    const report = await api<{ passed: boolean; tensors: { tensor: string; relativeError: number; worstIndex: number[] }[] }>(
      'model.selfCheck',
      {},
    )
    expect(report.passed).toBe(true)
    expect(await verdict.textContent()).toMatch(/^Passed/)
    for (const t of report.tensors) {
      const row = page.locator(`[data-testid="parity-table"] tr[data-tensor="${t.tensor}"]`)
      const text = (await row.textContent()) ?? ''
      expect(text).toContain(t.relativeError.toExponential(2))
      expect(text).toContain(`[${t.worstIndex.join(', ')}]`)
      expect(text).toContain('pass')
    }
    await shot('model')
  })

  it('#/senses?word=%20nurse shows the top tokens of each sense of " nurse" computed by the engine', async () => {
    await page.goto(`${origin}/#/senses?word=%20nurse`)
    const cards = page.getByTestId('sense-card')
    const atlas = await api<{ tokens: { id: number }[]; senses: { top: { text: string }[]; bottom: { text: string }[] }[] }>(
      'senses.lookup',
      { word: ' nurse' },
    )
    await expect.poll(() => cards.count(), { timeout: 30_000 }).toBe(atlas.senses.length)
    expect(atlas.tokens.map((t) => t.id)).toEqual([15849])
    for (const [i, sense] of atlas.senses.entries()) {
      const text = await cards.nth(i).locator('.top li').first().textContent()
      expect(text).toContain(JSON.stringify(sense.top[0].text))
      expect(await cards.nth(i).locator('.bottom li').first().textContent()).toContain(JSON.stringify(sense.bottom[0].text))
    }
    expect(await page.getByTestId('sense-word').inputValue()).toBe(' nurse')
    await shot('senses')

    // two words side by side, from the URL
    await page.goto(`${origin}/#/senses?word=%20nurse&with=%20doctor`)
    const pairs = page.getByTestId('sense-pairs').locator('.pair')
    await expect.poll(() => pairs.count(), { timeout: 30_000 }).toBe(atlas.senses.length)
    const doctor = await api<{ senses: { top: { text: string }[] }[] }>('senses.lookup', { word: ' doctor' })
    expect(await pairs.nth(0).getByTestId('sense-card').nth(1).locator('.top li').first().textContent()).toContain(
      JSON.stringify(doctor.senses[0].top[0].text),
    )
  })

  it('tokenises the prompt live, predicts, and attributes a token exactly', async () => {
    await page.locator('nav a[data-view="prompt"]').click()
    await page.getByTestId('prompt-input').fill('The nurse said that')
    await expect.poll(() => page.locator('.tok[data-position="1"] .id').textContent()).toBe('15849')
    expect(await page.locator('.tok').count()).toBe(4)
    expect(page.url()).toContain('#/prompt?text=The%20nurse%20said%20that')
    const caption = page.getByRole('table').filter({ hasText: 'Next token' })
    await caption.waitFor()
    const pred = await api<{ next: { text: string }[] }>('predict.next', { text: 'The nurse said that', topK: 10 })
    expect(await caption.locator('tbody tr').first().textContent()).toContain(JSON.stringify(pred.next[0].text))
    await page.locator('.tok[data-position="2"]').click()
    const panel = page.getByTestId('attribution')
    await panel.waitFor()
    const logit = Number(await panel.getByTestId('attr-logit').textContent())
    const total = Number(await panel.getByTestId('attr-total').textContent())
    expect(Math.abs(logit - total)).toBeLessThan(1e-3) // both shown with 4 decimals
    expect(await panel.locator('tbody tr').count()).toBe(2 * 4) // 2 source positions × 4 senses
    // α heatmap on a canvas: one pixel per (query, key); α[0,0] = 1 (darkest), zeros above the diagonal
    await page.getByText('Contextualization α').click()
    await page.getByTestId('alpha-sense').selectOption('2')
    const heat = page.getByTestId('alpha-heatmap')
    await expect.poll(() => heat.evaluate((c: HTMLCanvasElement) => c.width)).toBe(4)
    await expect.poll(() => page.locator('figcaption').first().textContent()).toContain('sense 2')
    const px = await heat.evaluate((c: HTMLCanvasElement) => {
      const d = c.getContext('2d')!.getImageData(0, 0, 4, 4).data
      return { diag0: [d[0], d[1], d[2]], above: [d[4], d[5], d[6]] }
    })
    expect(px.diag0).toEqual([36, 88, 198])
    expect(px.above).toEqual([255, 255, 255])
    await shot('prompt')
  })

  it('an edit changes the prediction live, and its blast radius is shown', async () => {
    await page.locator('nav a[data-view="interventions"]').click()
    await page.getByTestId('edit-token').fill(' nurse')
    await page.getByTestId('edit-sense').selectOption('all')
    await page.getByTestId('edit-factor').fill('0')
    await page.getByTestId('add-edit').click()
    await expect.poll(() => page.getByTestId('edit-row').count()).toBe(1) // after edits.validate accepted it
    const effect = page.getByTestId('effect')
    const unedited = effect.getByRole('table').filter({ hasText: 'Unedited' })
    const edited = effect.getByRole('table').filter({ hasText: /^Edited/ })
    await edited.waitFor()
    const doc = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', factor: 0 }] }
    const expected = await api<{ next: { text: string }[] }>('predict.next', { text: 'The nurse said that', topK: 10, edits: doc })
    const baseline = await api<{ next: { text: string }[] }>('predict.next', { text: 'The nurse said that', topK: 10 })
    expect(expected.next.map((t) => t.text)).not.toEqual(baseline.next.map((t) => t.text)) // the edit matters here
    await expect.poll(() => edited.locator('tbody tr').first().textContent()).toContain(JSON.stringify(expected.next[0].text))
    expect(await unedited.locator('tbody tr').first().textContent()).toContain(JSON.stringify(baseline.next[0].text))

    await page.getByRole('button', { name: 'Bound the change over all contexts' }).click()
    const radius = await api<{ pairs: { maxDecrease: number }[] }>('edits.blastRadius', { document: doc, pairs: [{ a: ' he', b: ' she' }] })
    await expect
      .poll(() => page.getByRole('table').filter({ hasText: 'max increase' }).textContent())
      .toContain(radius.pairs[0].maxDecrease.toFixed(3))
    await shot('interventions')
  })

  it('generates baseline and edited continuations with the same seed, side by side', async () => {
    await page.locator('nav a[data-view="generate"]').click()
    await page.getByTestId('gen-strategy').selectOption('sample')
    await page.getByTestId('gen-seed').fill('7')
    await page.getByTestId('generate').click()
    const edited = page.getByTestId('generation-edited')
    await edited.waitFor({ timeout: 60_000 })
    const doc = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', factor: 0 }] }
    const expected = await api<{ baseline: { text: string }; edited: { text: string } }>('generate.run', {
      text: 'The nurse said that',
      maxNewTokens: 32,
      strategy: 'sample',
      temperature: 1,
      seed: 7,
      edits: doc,
    })
    expect(await page.getByTestId('generation-baseline').locator('.text').textContent()).toBe(expected.baseline.text)
    expect(await edited.locator('.text').textContent()).toBe(expected.edited.text)
    expect(expected.edited.text).not.toBe(expected.baseline.text) // the ablation changes the continuation here
    expect(await edited.locator('.t').first().getAttribute('title')).toMatch(/most pushed by sense \d+ of /)
    await shot('generate')
  })

  it('runs the gender-bias suite on top of the edits and charts it per profession', async () => {
    await page.locator('nav a[data-view="suites"]').click()
    await page.getByRole('checkbox', { name: 'fit Optimize-Sense' }).uncheck()
    await page.getByTestId('run-gender-bias').click()
    const summary = page.getByTestId('gender-bias-summary')
    await summary.waitFor({ timeout: 120_000 })
    const doc = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' nurse', factor: 0 }] }
    const r = await api<{ settings: { unmodified: { meanBias: number }; removeSense: { meanBias: number } }; perProfession: unknown[] }>(
      'suites.genderBias',
      { optimize: false, edits: doc },
    )
    const cells = await summary.locator('tbody tr td.num').allTextContents()
    expect(cells[0]).toBe(r.settings.unmodified.meanBias.toFixed(3))
    expect(cells[2]).toBe(r.settings.removeSense.meanBias.toFixed(3))
    expect(await page.locator('section svg circle').count()).toBe(2 * r.perProfession.length)

    await page.getByTestId('run-knowledge-edit').click()
    const ke = page.getByTestId('knowledge-edit-summary')
    await ke.waitFor({ timeout: 120_000 })
    const k = await api<{ cases: { name: string; mean: { logOddsChange: number } }[] }>('suites.knowledgeEdit', { edits: doc })
    expect(await ke.locator('tbody tr').count()).toBe(k.cases.length)
    expect(await ke.locator('tbody tr').first().textContent()).toContain(k.cases[0].mean.logOddsChange.toFixed(3))

    // (the topic suite is not run here: its first run builds the whole-vocabulary score table,
    // ~150 s on 2 cores even for the tiny fixture; the view is the same code path as above)
    await shot('suites')
  })

  it('saves the experiment, forks it, changes the fork, compares both and exports a table', async () => {
    await page.locator('nav a[data-view="experiments"]').click()
    await page.getByTestId('experiment-name').fill('ablate nurse')
    await page.getByTestId('save-experiment').click()
    const rows = page.getByTestId('experiment-list').locator('tbody tr')
    await expect.poll(() => rows.count()).toBe(1)
    await rows.first().getByTestId('fork-experiment').click()
    await expect.poll(() => rows.count()).toBe(2)
    const fork = rows.filter({ hasText: 'ablate nurse (fork)' })
    // open the fork, change its factor with the keyboard, save the change into it
    await fork.getByRole('button', { name: 'Open' }).click()
    const slider = page.getByRole('slider', { name: 'factor of edit 1' })
    await slider.focus()
    await page.keyboard.press('ArrowRight')
    await page.keyboard.press('ArrowRight')
    await expect.poll(() => page.getByTestId('edit-row').locator('output').textContent()).toBe('0.10')
    await page.locator('nav a[data-view="experiments"]').click()
    await rows.filter({ hasText: 'ablate nurse (fork)' }).getByTestId('update-experiment').click()
    const list = await api<{ items: { id: number; name: string; parentId: number | null }[] }>('experiments.list', {})
    const parent = list.items.find((x) => x.name === 'ablate nurse')!
    const child = list.items.find((x) => x.name === 'ablate nurse (fork)')!
    expect(child.parentId).toBe(parent.id)
    await expect
      .poll(async () => (await api<{ edits: { edits: { factor: number }[] } }>('experiments.get', { id: child.id })).edits.edits[0].factor)
      .toBeCloseTo(0.1, 6)
    await shot('experiments')

    for (const row of await rows.all()) await row.getByRole('checkbox').check()
    await page.getByTestId('compare-selected').click()
    expect(page.url()).toMatch(/#\/compare\?(?:[^#]*&)?ids=\d+%2C\d+$/) // after the shared prompt and edits
    const editsTable = page.getByTestId('comparison-edits')
    await expect.poll(() => editsTable.textContent()).toContain('changed: factor')
    const text = (await editsTable.textContent())!
    expect(text).toContain('factor=0')
    expect(text).toContain('factor=0.1')
    expect(await page.getByTestId('diff-only').isChecked()).toBe(true)
    const ids = new URL(page.url()).hash.split('ids=')[1].split('%2C').map(Number)
    const cmp = await api<{ comparison: { metrics: { values: (number | null)[] }[] } }>('experiments.compare', { ids, diffOnly: true })
    const bars = cmp.comparison.metrics.flatMap((m) => m.values.filter((v) => v !== null)).length
    expect(bars).toBeGreaterThan(0) // the fork's missing run was re-run for the comparison
    await expect.poll(() => page.locator('[aria-label="Metrics per experiment"] svg g[aria-label="bar"] rect').count()).toBe(bars)
    expect(await page.locator('[aria-label="Metrics per experiment"] figure').count()).toBe(cmp.comparison.metrics.length) // one chart per metric
    const svgDownload = page.waitForEvent('download')
    await page.getByRole('button', { name: 'Export chart SVG' }).click()
    expect(readFileSync(await (await svgDownload).path(), 'utf8')).toMatch(/^<svg[^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/)
    await shot('compare')

    const download = page.waitForEvent('download')
    await page.getByTestId('export-csv').click()
    const file = await (await download).path()
    const csv = readFileSync(file, 'utf8')
    const header = csv.split('\r\n')[0].split(',')
    expect(header.slice(0, 3)).toEqual(['section', 'item', 'detail'])
    expect(header.slice(3).sort()).toEqual(['ablate nurse', 'ablate nurse (fork)'])
    expect(csv).toContain('changed: factor')

    // tags and notes, then filter the library by tag and search the notes
    await page.locator('nav a[data-view="experiments"]').click()
    await rows.filter({ hasText: 'ablate nurse (fork)' }).getByRole('button', { name: 'Tags & notes' }).click()
    const editor = page.getByRole('form', { name: 'Edit ablate nurse (fork)' })
    await editor.getByLabel('Tags').fill('bias, sense-all')
    await editor.getByLabel('Notes').fill('factor 0.1 keeps a trace of the nurse senses')
    await editor.getByRole('button', { name: 'Save' }).click()
    await expect.poll(() => rows.filter({ hasText: 'ablate nurse (fork)' }).textContent()).toContain('bias, sense-all')
    await page.getByLabel('Tag', { exact: true }).fill('bias')
    await page.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => rows.count()).toBe(1)
    await page.getByLabel('Tag', { exact: true }).fill('')
    await page.getByTestId('experiment-search').fill('trace')
    await page.getByRole('button', { name: 'Search' }).click()
    await expect.poll(() => rows.count()).toBe(1)
    expect(await rows.first().textContent()).toContain('ablate nurse (fork)')
  })

  it('stays responsive while a 512-token prompt is tokenised, run and rendered (measured, not asserted)', async () => {
    const sentence = 'The nurse said that the doctor would arrive before the storm reached the small coastal town. '
    const ids = gpt2Tokenizer().encode(sentence.repeat(40)).slice(0, 511)
    const prompt = gpt2Tokenizer().decode(ids)
    await page.locator('nav a[data-view="prompt"]').click()
    // Event Timing (every input ≥ 16 ms) and Long Tasks, observed in the page from now on
    await page.evaluate(() => {
      const w = window as unknown as { __perf: { events: PerformanceEventTiming[]; longTasks: PerformanceEntry[] } }
      w.__perf = { events: [], longTasks: [] }
      new PerformanceObserver((l) => w.__perf.events.push(...(l.getEntries() as PerformanceEventTiming[]))).observe({
        type: 'event',
        durationThreshold: 16,
      } as PerformanceObserverInit)
      new PerformanceObserver((l) => w.__perf.longTasks.push(...l.getEntries())).observe({ type: 'longtask' })
    })
    const input = page.getByTestId('prompt-input')
    await page.getByText('Contextualization α').click() // the α heatmap redraws at T = 512 too
    await input.fill(prompt)
    await expect.poll(() => page.locator('.tok').count(), { timeout: 60_000 }).toBeGreaterThanOrEqual(511)
    // type while the forward pass and the re-render of 512 tokens are in flight
    await input.press('End')
    for (const ch of ' she') await page.keyboard.type(ch, { delay: 30 })
    const caption = page.getByRole('table').filter({ hasText: 'Next token' })
    await caption.waitFor()
    await expect.poll(() => page.locator('.tok').count(), { timeout: 60_000 }).toBe(gpt2Tokenizer().encode(prompt + ' she').length)
    // the log-probs of the final prompt are drawn (the model answers in seconds at T = 512)
    await expect.poll(() => page.locator('.tok').last().getAttribute('title'), { timeout: 120_000 }).toContain('log p =')
    const perf = await page.evaluate(() => {
      const w = window as unknown as { __perf: { events: PerformanceEventTiming[]; longTasks: PerformanceEntry[] } }
      const inputs = w.__perf.events.filter((e) => e.interactionId !== 0 || e.name.startsWith('key') || e.name === 'input')
      return {
        tokens: document.querySelectorAll('.tok').length,
        slowEvents: inputs.length,
        maxInputDelayMs: Math.max(0, ...inputs.map((e) => e.processingStart - e.startTime)),
        maxEventDurationMs: Math.max(0, ...inputs.map((e) => e.duration)),
        longTasks: w.__perf.longTasks.length,
        longestTaskMs: Math.max(0, ...w.__perf.longTasks.map((t) => t.duration)),
      }
    })
    console.log(`responsiveness at ${perf.tokens} tokens: ${JSON.stringify(perf)}`)
    await expect.poll(() => page.getByTestId('alpha-heatmap').evaluate((c: HTMLCanvasElement) => c.width), { timeout: 60_000 }).toBe(512)
    expect(perf.tokens).toBeGreaterThanOrEqual(512)
    await shot('prompt-512')
  })

  it('switches between dark and light themes', async () => {
    const before = await page.evaluate(() => document.documentElement.dataset.theme)
    await page.getByRole('button', { name: 'Toggle dark/light theme' }).click()
    const after = await page.evaluate(() => document.documentElement.dataset.theme)
    expect(after).not.toBe(before)
    expect(['dark', 'light']).toContain(after)
  })

  it("clears a word's neighbours under a new word, refuses an invalid edit by its list number, and reopens prompt and edits from the URL", async () => {
    await page.goto(`${origin}/#/senses?word=%20nurse`)
    await page.getByRole('button', { name: /^Find neighbours of/ }).click()
    await expect.poll(() => page.getByTestId('neighbours-word').textContent()).toContain('" nurse"')
    await page.getByTestId('sense-word').fill(' doctor')
    await page.getByRole('button', { name: 'Look up' }).click()
    await expect.poll(() => page.locator('[data-testid="sense-card"]').first().getAttribute('aria-label')).toBe('Sense 0')
    await expect.poll(() => page.getByTestId('neighbours-word').count()).toBe(0) // nurse's neighbours are gone under " doctor"

    await page.locator('nav a[data-view="prompt"]').click()
    await page.getByTestId('prompt-input').fill('The nurse said that')
    await page.locator('nav a[data-view="interventions"]').click()
    const rows = page.getByTestId('edit-row')
    const before = await rows.count()
    await page.getByTestId('edit-kind').selectOption('scale-sense')
    await page.getByTestId('edit-token').fill(' nurse')
    await page.getByTestId('edit-sense').selectOption('all')
    await page.getByTestId('edit-factor').fill('0')
    await page.getByTestId('add-edit').click()
    await expect.poll(() => rows.count()).toBe(before + 1)
    const n = before + 1
    await page.getByTestId('edit-token').fill(' xyzzyplughfrob') // several tokens: refused by edits.validate
    await page.getByTestId('add-edit').click()
    const alert = page.getByRole('alert')
    await expect.poll(() => alert.textContent()).toContain('edit-invalid')
    expect(await alert.textContent()).toContain(`edit ${n + 1} (scale-sense)`) // the number it would have had in the list
    expect(await rows.count()).toBe(n)

    // the app keeps the URL up to date with history.replaceState: read it from the page
    const params = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1])
    expect(params.get('edits')).toBeTruthy()
    expect(params.get('text')).toBe('The nurse said that')
    await page.reload()
    await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(n)
    await page.locator('nav a[data-view="prompt"]').click()
    expect(await page.getByTestId('prompt-input').inputValue()).toBe(params.get('text'))
    await shot('reloaded')
  })
})
