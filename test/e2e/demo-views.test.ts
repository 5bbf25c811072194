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
  const res = await fetch(`${origin}/api/${method}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(request) })
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
  serve = await startServeProcess(['--port', '0', '--web', web], { BACKPACK_CACHE_DIR: join(data, 'cache'), BACKPACK_DATA_DIR: join(data, 'data') })
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
    await expect.poll(async () => (await page.locator('main').textContent()) ?? '', { timeout: 30_000 }).toContain(JSON.stringify(atlas.senses[12].top[0].text))
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
    await shot('interventions')
  })

  it('generate: baseline and edited, same seed', async () => {
    await page.goto(`${origin}/#/generate?text=${encodeURIComponent('Men associate the rough')}&edits=${encodeEdits(EDITS)}`)
    // greedy keeps "ness" (still the most likely token under the edit); sampling with one seed shows the difference
    await page.getByTestId('gen-strategy').selectOption('sample')
    await page.getByTestId('gen-seed').fill('1')
    await page.getByTestId('generate').click()
    await expect.poll(async () => (await page.locator('main').textContent()) ?? '', { timeout: 120_000 }).toMatch(/The continuations part at generated token \d+/)
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
})
