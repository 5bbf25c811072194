import { mkdtemp, rm, stat } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { HubDownloads, type HubJobEvent } from '../../../src/main/hub/hub-downloads'
import { tinyConfig, tinySafetensors } from './checkpoint-bytes'
import { sha256, startFakeHub, type FakeHub } from './fake-hub-server'

const REPO = 'stanfordnlp/backpack-gpt2'
const COMMIT = 'b'.repeat(40)
const weights = tinySafetensors()
let hub: FakeHub
let cacheDir: string

beforeEach(async () => {
  hub = await startFakeHub(REPO, COMMIT, [
    { path: 'config.json', content: tinyConfig(), lfs: false },
    { path: 'model.safetensors', content: weights, lfs: true },
  ])
  cacheDir = await mkdtemp(join(tmpdir(), 'hf-jobs-'))
})
afterEach(async () => {
  await hub.close()
  await rm(cacheDir, { recursive: true, force: true })
})

describe('HubDownloads', () => {
  it('runs a job with tagged progress events, then reports the revision as cached', async () => {
    const events: HubJobEvent[] = []
    const jobs = new HubDownloads((e) => events.push(e))
    const request = { repo: REPO, endpoint: hub.url, cacheDir, env: {} }
    expect(await jobs.cached(request)).toBeNull()
    const job = jobs.start(request)
    expect(jobs.start(request).jobId).toBe(job.jobId) // the same repo@revision is not started twice
    const result = await job.done
    expect(result.ok).toBe(true)
    expect(events.every((e) => e.jobId === job.jobId)).toBe(true)
    expect(events.some((e) => e.kind === 'progressed')).toBe(true)
    await new Promise((r) => setImmediate(r))
    expect(events.at(-1)).toMatchObject({ kind: 'finished', result: { ok: true } })
    expect(jobs.running()).toEqual([])
    hub.requests.length = 0
    expect((await jobs.cached(request))?.snapshot).toBe(result.ok ? result.value.snapshot : '')
    expect(hub.requests).toEqual([])
  })

  it('cancel ends the job as cancelled and keeps the partial file', async () => {
    hub.stall('model.safetensors', 20_000)
    const jobs = new HubDownloads(() => undefined)
    const job = jobs.start({ repo: REPO, endpoint: hub.url, cacheDir, env: {} })
    const partial = join(cacheDir, 'models--stanfordnlp--backpack-gpt2', 'blobs', `${sha256(weights)}.incomplete`)
    while (((await stat(partial).catch(() => null))?.size ?? 0) < 20_000) await new Promise((r) => setTimeout(r, 5))
    expect(jobs.cancel(job.jobId)).toBe(true)
    const result = await job.done
    expect(result).toMatchObject({ ok: false, error: { code: 'cancelled' } })
    expect((await stat(partial)).size).toBe(20_000)
    expect(jobs.cancel(job.jobId)).toBe(false)
  })
})
