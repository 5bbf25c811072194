import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

/** `npm start`'s launcher (tools/app/start.mjs) when Electron's binary is absent. */
const ROOT = join(import.meta.dirname, '../..')
const LAUNCHER = join(ROOT, 'tools/app/start.mjs')
const ELECTRON_DIST = join(ROOT, 'node_modules/electron/dist')

function launch(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [LAUNCHER], { cwd: ROOT, env: { ...process.env, ...env } })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

function expectOneClearLine(r: { code: number | null; stdout: string; stderr: string }) {
  expect(r.code).toBe(1)
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '')
  expect(lines).toHaveLength(1)
  expect(lines[0]).toMatch(/Electron/)
  expect(lines[0]).toContain('npm run serve')
  expect(r.stderr).not.toMatch(/^\s+at /m) // no stack trace
  expect(r.stdout).toBe('') // it stopped before the build
}

describe('npm start without Electron binary', () => {
  let scratch = ''
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'app-start-'))
  })
  afterAll(() => rmSync(scratch, { recursive: true, force: true }))

  it('with ELECTRON_OVERRIDE_DIST_PATH at an empty folder: one line, exit 1, nothing downloaded', async () => {
    const empty = join(scratch, 'dist')
    const r = await launch({ ELECTRON_OVERRIDE_DIST_PATH: empty })
    expectOneClearLine(r)
  })

  describe('when the download fails (a loopback mirror that answers 404)', () => {
    let server: Server
    let mirror = ''
    const requests: string[] = []
    beforeAll(async () => {
      server = createServer((req, res) => {
        requests.push(req.url ?? '')
        res.writeHead(404).end('not here')
      })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      const address = server.address()
      if (address === null || typeof address === 'string') throw new Error('no port')
      mirror = `http://127.0.0.1:${address.port}/`
    })
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

    // with a binary installed the launcher would build and run the app: only where it is absent
    it.skipIf(existsSync(ELECTRON_DIST))('says in one line what is missing and exits 1', async () => {
      const cache = join(scratch, 'electron-cache')
      const r = await launch({ ELECTRON_MIRROR: mirror, electron_config_cache: cache, ELECTRON_OVERRIDE_DIST_PATH: '' })
      expectOneClearLine(r)
      expect(requests.length).toBeGreaterThan(0) // it did try, at the mirror only
      expect(existsSync(ELECTRON_DIST) ? readdirSync(ELECTRON_DIST) : []).toEqual([])
    })
  })
})
