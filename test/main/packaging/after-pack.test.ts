import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { Arch } from 'builder-util'
import type { AfterPackContext } from 'app-builder-lib'

/**
 * The afterPack hook that sets the Electron Fuses. Electron's binary cannot be downloaded here,
 * so the hook runs the real, pinned @electron/fuses on a file that carries the fuse wire exactly
 * as Electron's binary does (sentinel, version 1, length, one state byte per fuse); the macOS
 * case, which re-signs with `codesign`, runs with flipFuses mocked.
 */
const fuses = await vi.hoisted(async () => ({ mockFlip: false }))
vi.mock('@electron/fuses', async (importOriginal) => {
  const real = await importOriginal<typeof import('@electron/fuses')>()
  return {
    ...real,
    flipFuses: vi.fn((path: string, config: Parameters<typeof real.flipFuses>[1]) =>
      fuses.mockFlip ? Promise.resolve(1) : real.flipFuses(path, config),
    ),
  }
})
const { flipFuses, FuseV1Options } = await import('@electron/fuses')
const { afterPack, electronBinaryPath, FUSES } = await import('../../../build/after-pack.mjs')

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX'
const [OFF, ON] = [0x30, 0x31]

/** A stand-in binary: junk, the fuse wire with Electron's defaults (all on but the last two), junk. */
function fakeElectron(path: string, states = [ON, ON, ON, ON, OFF, OFF, OFF, ON]): void {
  writeFileSync(
    path,
    Buffer.concat([Buffer.alloc(64, 7), Buffer.from(SENTINEL), Buffer.from([1, states.length, ...states]), Buffer.alloc(64, 9)]),
  )
}
function wireOf(path: string): number[] {
  const bytes = readFileSync(path)
  const at = bytes.indexOf(SENTINEL) + SENTINEL.length
  return [...bytes.subarray(at + 2, at + 2 + bytes[at + 1])]
}
function context(appOutDir: string, electronPlatformName: string, arch: Arch): AfterPackContext {
  return {
    appOutDir,
    electronPlatformName,
    arch,
    packager: { executableName: 'backpack-workbench', appInfo: { productFilename: 'Backpack Workbench' } },
  } as unknown as AfterPackContext
}

let dir = ''
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'after-pack-'))
  fuses.mockFlip = false
  vi.mocked(flipFuses).mockClear()
})
afterEach(() => rmSync(dir, { recursive: true, force: true }))

describe('build/after-pack.mjs', () => {
  it('configures the fuses the checklist asks for', () => {
    expect(FUSES).toMatchObject({
      [FuseV1Options.RunAsNode]: false,
      [FuseV1Options.EnableCookieEncryption]: true,
      [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
      [FuseV1Options.EnableNodeCliInspectArguments]: false,
      [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
      [FuseV1Options.OnlyLoadAppFromAsar]: true,
      [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
    })
  })

  it('flips the wire of the packaged Linux binary and leaves the other bytes alone', async () => {
    const binary = join(dir, 'backpack-workbench')
    fakeElectron(binary)
    const before = readFileSync(binary)
    await afterPack(context(dir, 'linux', Arch.x64))
    // RunAsNode, cookies, NODE_OPTIONS, inspect, ASAR integrity, only-ASAR, V8 snapshot (untouched), file:// privileges
    expect(wireOf(binary)).toEqual([OFF, ON, OFF, OFF, ON, ON, OFF, OFF])
    const after = readFileSync(binary)
    expect(after.length).toBe(before.length)
    expect(after.subarray(0, 64 + SENTINEL.length + 2)).toEqual(before.subarray(0, 64 + SENTINEL.length + 2))
    expect(after.subarray(after.length - 64)).toEqual(before.subarray(before.length - 64))
    expect(vi.mocked(flipFuses).mock.calls[0][1]).toMatchObject({ resetAdHocDarwinSignature: false })
  })

  it('finds the Windows .exe, and fails the build when there is no binary, a flip did not take or the wire is too short', async () => {
    fakeElectron(join(dir, 'Backpack Workbench.exe'))
    await afterPack(context(dir, 'win32', Arch.x64))
    expect(wireOf(join(dir, 'Backpack Workbench.exe'))).toEqual([OFF, ON, OFF, OFF, ON, ON, OFF, OFF])
    await expect(afterPack(context(join(dir, 'missing'), 'linux', Arch.x64))).rejects.toThrow()
    // a flip that did not take (here: flipFuses mocked to do nothing) fails the build on read-back
    fakeElectron(join(dir, 'backpack-workbench'))
    fuses.mockFlip = true
    await expect(afterPack(context(dir, 'linux', Arch.x64))).rejects.toThrow(/RunAsNode/)
    fuses.mockFlip = false
    // a wire too short for the configured fuses (an Electron older than these fuses)
    fakeElectron(join(dir, 'backpack-workbench'), [ON, ON, ON, ON])
    await expect(afterPack(context(dir, 'linux', Arch.x64))).rejects.toThrow()
  })

  it('on macOS flips the .app and re-signs ad hoc for arm64 only (flipFuses mocked: it would run codesign)', async () => {
    fuses.mockFlip = true
    const app = join(dir, 'Backpack Workbench.app')
    const framework = join(app, 'Contents/Frameworks/Electron Framework.framework')
    mkdirSync(framework, { recursive: true })
    fakeElectron(join(framework, 'Electron Framework'), [OFF, ON, OFF, OFF, ON, ON, OFF, OFF]) // as flipping leaves it
    expect(electronBinaryPath(context(dir, 'darwin', Arch.arm64))).toBe(app)
    await afterPack(context(dir, 'darwin', Arch.arm64))
    await afterPack(context(dir, 'darwin', Arch.x64))
    const calls = vi.mocked(flipFuses).mock.calls
    expect(calls.map(([path]) => path)).toEqual([app, app])
    expect(calls.map(([, config]) => config.resetAdHocDarwinSignature)).toEqual([true, false])
    expect(calls[0][1]).toMatchObject(FUSES)
  })

  it('is the afterPack hook electron-builder.yml names, with @electron/fuses pinned exactly', () => {
    const yml = readFileSync(join(import.meta.dirname, '../../../electron-builder.yml'), 'utf8')
    expect(yml).toMatch(/^afterPack: \.\/build\/after-pack\.mjs$/m)
    const pkg = JSON.parse(readFileSync(join(import.meta.dirname, '../../../package.json'), 'utf8'))
    expect(pkg.devDependencies['@electron/fuses']).toMatch(/^\d+\.\d+\.\d+$/)
    expect(Arch.arm64).toBe(3) // the value the hook compares context.arch with
    expect(Arch.universal).toBe(4)
  })
})
