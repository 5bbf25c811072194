import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { runCli } from '../../../src/cli/run-cli'
import { tinyConfig, tinySafetensors } from '../../main/hub/checkpoint-bytes'
import { startFakeHub, type FakeHub } from '../../main/hub/fake-hub-server'

const REPO = 'stanfordnlp/backpack-gpt2'
const COMMIT = 'c'.repeat(40)

function io(tty: boolean) {
  const out = { stdout: '', stderr: '' }
  return {
    out,
    io: {
      stdout: { write: (s: string) => (out.stdout += s) },
      stderr: { write: (s: string) => (out.stderr += s), isTTY: tty },
    },
  }
}

let hub: FakeHub
let cacheDir: string
beforeEach(async () => {
  hub = await startFakeHub(REPO, COMMIT, [
    { path: 'config.json', content: tinyConfig(), lfs: false },
    { path: 'model.safetensors', content: tinySafetensors(), lfs: true },
  ])
  cacheDir = await mkdtemp(join(tmpdir(), 'hf-cli-'))
})
afterEach(async () => {
  await hub.close()
  await rm(cacheDir, { recursive: true, force: true })
})

describe('cli download', () => {
  it('prints { snapshot, … } as JSON and JSON-lines progress on a non-terminal stderr', async () => {
    const { out, io: cliIo } = io(false)
    const code = await runCli(['download', '--repo', REPO, '--endpoint', hub.url, '--cache-dir', cacheDir], cliIo)
    expect(code).toBe(0)
    const result = JSON.parse(out.stdout)
    expect(result.snapshot).toBe(join(cacheDir, 'models--stanfordnlp--backpack-gpt2', 'snapshots', COMMIT))
    expect(result.files.map((f: { path: string }) => f.path)).toEqual(['config.json', 'model.safetensors'])
    const lines = out.stderr
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
    expect(lines[0]).toMatchObject({ event: 'hub.progress', phase: 'resolving' })
    expect(lines.at(-1)).toMatchObject({ event: 'hub.progress', phase: 'done' })
  })

  it('draws a progress bar on a terminal', async () => {
    const { out, io: cliIo } = io(true)
    expect(
      await runCli(['download', '--repo', REPO, '--endpoint', hub.url, '--cache-dir', cacheDir, '--files', 'config.json'], cliIo),
    ).toBe(0)
    expect(out.stderr).toContain('\r')
    expect(out.stderr).toMatch(/done \[█+\] 100%/)
  })

  it('exits 2 with bad-request when --repo is missing, and 1 with hub-offline when offline and uncached', async () => {
    const a = io(false)
    expect(await runCli(['download'], a.io)).toBe(2)
    expect(a.out.stderr).toMatch(/^error\[bad-request\]/)
    const b = io(false)
    expect(await runCli(['download', '--repo', REPO, '--endpoint', hub.url, '--cache-dir', cacheDir, '--offline'], b.io)).toBe(1)
    expect(b.out.stderr).toMatch(/^error\[hub-offline\]: .*config\.json/)
    expect(hub.requests).toEqual([])
  })
})
