import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { BrowserContext, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { encodeEdits } from '../../src/renderer/src/lib/edits-url'
import { buildWeb } from './helpers/build-web'
import { launchChromium } from './helpers/launch-chromium'
import { startServeProcess, type ServeProcess } from './helpers/serve-process'

/**
 * Every run is an experiment, from the views: on the bundled demo, save a generation under the
 * README's ablation as a new experiment, add the gender-bias suite run to that same experiment
 * (its edits match), save a baseline generation as a second experiment, and open Compare from the
 * saved link: one column per experiment. What was stored is checked through the same server's API.
 */
const TEXT = 'Men associate the rough'
const EDITS = { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: ' rough', sense: 12, factor: 0 }] }
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
  const data = mkdtempSync(join(tmpdir(), 'bw-save-runs-'))
  serve = await startServeProcess(['--port', '0', '--web', web], {
    BACKPACK_CACHE_DIR: join(data, 'cache'),
    BACKPACK_DATA_DIR: join(data, 'data'),
  })
  origin = new URL(serve.url).origin
  token = new URL(serve.url).searchParams.get('token')!
  browser = await launchChromium()
  page = await browser.context.newPage()
  page.on('pageerror', (e) => console.error('page error:', e))
  await page.goto(serve.url)
  await page.getByTestId('content-hash').waitFor({ timeout: 120_000 })
})

afterAll(async () => {
  await browser?.close()
  if (serve) expect(await serve.stop()).toBe(0)
})

/** Saves the run shown in the `scope` panel: to a new experiment `name`, or to the existing experiment `name` (edits matching). */
async function save(scope: string, name: string, existing = false): Promise<{ experimentId: number; runId: number }> {
  const panel = page.getByTestId(scope)
  await panel.getByTestId('save-run-open').click()
  if (existing) {
    const target = panel.getByTestId('save-run-target')
    await expect.poll(() => target.locator('option').allTextContents(), { timeout: 30_000 }).toContainEqual(expect.stringContaining(name))
    await target.selectOption({ label: (await target.locator('option', { hasText: name }).textContent())! })
  } else await panel.getByTestId('save-run-name').fill(name)
  await panel.getByTestId('save-run-submit').click()
  const saved = panel.getByTestId('save-run-saved')
  const refused = panel.getByRole('alert')
  await saved.or(refused).waitFor({ timeout: 300_000 })
  if (await refused.isVisible()) throw new Error(`experiments.saveRun refused the save: ${await refused.textContent()}`)
  const text = (await saved.textContent()) ?? ''
  return {
    runId: Number(/run #(\d+)/.exec(text)![1]),
    experimentId: Number(/#(\d+) /.exec((await saved.getByTestId('save-run-link').textContent()) ?? '')![1]),
  }
}

describe('save a generation and a suite run from their views, then compare', () => {
  it('saves both kinds into experiments and Compare shows one column per experiment', async () => {
    const shared = `text=${encodeURIComponent(TEXT)}&edits=${encodeEdits(EDITS)}`
    await page.goto(`${origin}/#/generate?${shared}`)
    // the URL's edits are validated before they apply
    await expect.poll(() => page.getByTestId('generate').textContent(), { timeout: 60_000 }).toContain('1 edit)')
    await page.getByTestId('gen-strategy').selectOption('sample')
    await page.getByTestId('gen-seed').fill('1')
    await page.getByTestId('generate').click()
    await page.getByTestId('generation-edited').waitFor({ timeout: 120_000 })
    const generated = (await page.getByTestId('generation-edited').locator('.text').textContent()) ?? ''
    const edited = await save('save-generation', 'rough s12 off')

    await page.locator('nav a[data-view="suites"]').click()
    await page.getByRole('checkbox', { name: 'fit Optimize-Sense' }).uncheck()
    await page.getByTestId('run-gender-bias').click()
    await page.getByTestId('gender-bias-summary').waitFor({ timeout: 300_000 })
    const suiteRun = await save('save-gender-bias', 'rough s12 off', true)
    expect(suiteRun.experimentId).toBe(edited.experimentId)
    expect(suiteRun.runId).not.toBe(edited.runId)

    // the baseline: the same generation without the edit, in a new experiment
    await page.locator('nav a[data-view="interventions"]').click()
    await page.getByRole('button', { name: 'remove edit 1' }).click()
    await page.locator('nav a[data-view="generate"]').click()
    await page.getByTestId('gen-strategy').selectOption('sample')
    await page.getByTestId('gen-seed').fill('1')
    await page.getByTestId('generate').click()
    await expect.poll(() => page.getByTestId('generation-for').textContent(), { timeout: 120_000 }).toContain('unedited model')
    const baseline = await save('save-generation', 'baseline')
    expect(baseline.experimentId).not.toBe(edited.experimentId)

    const stored = await api<{ items: { id: number; runCount: number; editCount: number }[] }>('experiments.list', {})
    expect(stored.items.find((x) => x.id === edited.experimentId)).toMatchObject({ runCount: 2, editCount: 1 })
    expect(stored.items.find((x) => x.id === baseline.experimentId)).toMatchObject({ runCount: 1, editCount: 0 })

    // the saved link opens Compare; add the other experiment to it through the URL
    await page.getByTestId('save-generation').getByTestId('save-run-link').click()
    await page.goto(`${origin}/#/compare?ids=${baseline.experimentId}%2C${edited.experimentId}`)
    const main = page.locator('main')
    await expect
      .poll(async () => (await main.locator('table thead').first().textContent()) ?? '', { timeout: 120_000 })
      .toContain('rough s12 off')
    const head = (await main.locator('table thead').first().textContent()) ?? ''
    expect(head).toContain('baseline')
    expect(await main.textContent()).toContain(generated.trim().split(/\s+/)[0]) // the edited generation is shown
  }, 900_000)
})
