import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TINY } from './cli-harness'

const ROOT = resolve(import.meta.dirname, '../..')
const BUILT = join(ROOT, 'out/cli/index.mjs')
const RECORDER = join(import.meta.dirname, 'helpers/record-imports.mjs')
const run = promisify(execFile)

/**
 * The bundled CLI (tools/cli/build-cli.mjs → out/cli) as users run it: plain `node`, no tsx.
 * Commands load their code on first use, so `help` loads neither native module and `info`
 * never loads the database.
 */
describe('built CLI (out/cli)', () => {
  let tmp: string
  let env: NodeJS.ProcessEnv
  beforeAll(async () => {
    await run(process.execPath, [join(ROOT, 'tools/cli/build-cli.mjs'), '--if-stale'], { cwd: ROOT })
    tmp = mkdtempSync(join(tmpdir(), 'built-cli-'))
    env = { ...process.env, BACKPACK_CACHE_DIR: join(tmp, 'cache') }
  })
  afterAll(() => rmSync(tmp, { recursive: true, force: true }))

  /** Runs the built CLI with the import recorder; returns stdout and the resolved module URLs. */
  async function node(args: string[], name: string) {
    const record = join(tmp, `${name}.imports`)
    const r = await run(process.execPath, ['--import', RECORDER, BUILT, ...args], { cwd: tmp, env: { ...env, RECORD_IMPORTS: record } })
    return { stdout: r.stdout, imports: readFileSync(record, 'utf8').split('\n').filter(Boolean) }
  }
  const loads = (imports: string[], pkg: string) => imports.some((u) => u.includes(`/node_modules/${pkg}/`))

  it('help lists every command and loads neither onnxruntime-node nor sqlite3', async () => {
    const r = await node(['help'], 'help')
    for (const name of ['attribute', 'convert', 'experiment', 'forward', 'info', 'serve', 'suite']) expect(r.stdout).toContain(`  ${name} `)
    expect(loads(r.imports, 'onnxruntime-node')).toBe(false)
    expect(loads(r.imports, 'sqlite3')).toBe(false)
  })

  it('info reports the checkpoint and the providers without loading sqlite3', async () => {
    const r = await node(['info', '--checkpoint', TINY], 'info')
    const info = JSON.parse(r.stdout)
    expect(info.config.numSenses).toBeGreaterThan(0)
    expect(info.providers.available).toContain('cpu')
    expect(loads(r.imports, 'onnxruntime-node')).toBe(true)
    expect(loads(r.imports, 'sqlite3')).toBe(false)
  })

  it('a bad command is a usage error (exit 2) with a typed message', async () => {
    const err = await run(process.execPath, [BUILT, 'no-such-command'], { cwd: tmp, env }).catch((e: { code: number; stderr: string }) => e)
    expect(err).toMatchObject({ code: 2 })
    expect((err as { stderr: string }).stderr).toMatch(/^error\[bad-request\]/)
  })
})
