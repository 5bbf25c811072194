import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join, resolve } from 'node:path'
import { inflateSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { Configuration } from 'app-builder-lib'
import { validateConfiguration } from 'app-builder-lib/out/util/config/config.js'
import { getFileMatchers } from 'app-builder-lib/out/fileMatcher.js'
import { DebugLogger } from 'builder-util'
import { LINUX_SIZES, renderIcon } from '../../../tools/icons/generate-icons'

/**
 * Checks electron-builder.yml without building (Electron cannot be downloaded here): the schema
 * electron-builder itself validates against, targets, which files go in, what is unpacked from
 * the asar (using electron-builder's own file matchers on the real native binaries), icons and
 * the macOS entitlements.
 */
const root = resolve(__dirname, '../../..')
const require = createRequire(import.meta.url)
const yaml = require('js-yaml') as { load(text: string): unknown } // electron-builder's own YAML parser
const plist = require('plist') as { parse(xml: string): unknown } // electron-builder's plist dependency
// Internal to app-builder-lib (absent from its .d.ts): the matcher it applies to node_modules.
const { getNodeModuleFileMatcher } = require('app-builder-lib/out/fileMatcher.js') as {
  getNodeModuleFileMatcher(
    appDir: string,
    dest: string,
    expand: (s: string) => string,
    options: object,
    packager: object,
  ): { createFilter(): (file: string, stat: ReturnType<typeof statSync>) => boolean }
}
const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Configuration
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  version: string
  productName: string
  scripts: Record<string, string>
  main: string
}

type Platform = 'linux' | 'win' | 'mac'
const platformOptions = (p: Platform) => (config[p] ?? {}) as NonNullable<Configuration['linux']>

function filterFor(name: 'files' | 'asarUnpack', platform: Platform) {
  const matchers = getFileMatchers(config, name, '/dest', {
    macroExpander: (s) => s,
    customBuildOptions: platformOptions(platform),
    globalOutDir: join(root, 'release'),
    defaultSrc: root,
  })
  expect(matchers).not.toBeNull()
  const filter = matchers![0].createFilter()
  return (rel: string) =>
    filter(
      join(root, rel),
      statSync(join(root, rel), { throwIfNoEntry: false }) ?? ({ isDirectory: () => false } as Parameters<typeof filter>[1]),
    )
}

function targetsOf(platform: Platform): { target: string; arch: string[] }[] {
  const raw = platformOptions(platform).target as (string | { target: string; arch?: string[] })[]
  return raw.map((t) => (typeof t === 'string' ? { target: t, arch: [] } : { target: t.target, arch: t.arch ?? [] }))
}

/** Width and height from a PNG's IHDR, after checking the signature and the chunk type. */
function pngSize(bytes: Buffer): [number, number] {
  expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a')
  expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR')
  return [bytes.readUInt32BE(16), bytes.readUInt32BE(20)]
}

function nativeFiles(dir: string): string[] {
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of readdirSync(join(root, d), { withFileTypes: true })) {
      const rel = `${d}/${e.name}`
      if (e.isDirectory()) walk(rel)
      else if (/\.(node|so(\.\d+)*|dylib|dll)$/.test(e.name)) out.push(rel)
    }
  }
  walk(dir)
  return out
}

describe('electron-builder.yml', () => {
  it('passes electron-builder 26’s own configuration schema', async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined()
  })

  it('names the app and takes its version from package.json', () => {
    expect(config.appId).toMatch(/^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/)
    expect(config.productName).toBe(pkg.productName)
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+(-[\w.]+)?$/)
    expect(config.extraMetadata?.version ?? pkg.version).toBe(pkg.version)
    expect(config.buildVersion).toBeUndefined()
    expect(config.artifactName).toContain('${version}')
    expect(pkg.scripts.dist).toBe('electron-vite build && electron-builder')
    expect(pkg.main.startsWith('./out/')).toBe(true)
  })

  it('builds AppImage + deb, NSIS, and dmg for x64 and arm64', () => {
    expect(
      targetsOf('linux')
        .map((t) => t.target)
        .sort(),
    ).toEqual(['AppImage', 'deb'])
    expect(targetsOf('win')).toEqual([{ target: 'nsis', arch: ['x64'] }])
    expect(targetsOf('mac')).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }])
  })

  it('ships the bundles and resources, never sources, tests, tools or fixtures', () => {
    const include = filterFor('files', 'linux')
    for (const f of [
      'out/main/index.js',
      'out/preload/index.cjs',
      'out/renderer/index.html',
      'resources/demo-backpack/config.json',
      'package.json',
    ]) {
      expect(include(f), f).toBe(true)
    }
    for (const f of [
      'src/main/index.ts',
      'test/fixtures/checkpoints/x/config.json',
      'tools/icons/generate-icons.ts',
      'tools/.venv/bin/python',
      'docs/install.md',
      'out/main/index.js.map',
      'build/icon.png',
      'out/cli/index.mjs',
    ]) {
      expect(include(f), f).toBe(false)
    }
  })

  it('leaves out other platforms’ onnxruntime binaries but keeps its own', () => {
    const expectations: [Platform, string, string][] = [
      ['linux', 'linux/x64/libonnxruntime.so.1', 'win32/x64/onnxruntime.dll'],
      ['win', 'win32/x64/onnxruntime.dll', 'darwin/arm64/libonnxruntime.1.dylib'],
      ['mac', 'darwin/arm64/libonnxruntime.1.dylib', 'linux/x64/libonnxruntime.so.1'],
    ]
    const base = 'node_modules/onnxruntime-node/bin/napi-v6/'
    for (const [platform, keep, drop] of expectations) {
      // electron-builder's own matcher for node_modules (only the "!" patterns of `files` apply there)
      const matcher = getNodeModuleFileMatcher(root, '/dest', (x: string) => x, platformOptions(platform), {
        config,
        debugLogger: new DebugLogger(false),
      })
      const filter = matcher.createFilter()
      const included = (rel: string) => filter(join(root, rel), { isDirectory: () => false } as ReturnType<typeof statSync>)
      expect(included(base + keep), `${platform} keeps ${keep}`).toBe(true)
      expect(included(base + drop), `${platform} drops ${drop}`).toBe(false)
      expect(included('node_modules/sqlite3/build/Release/node_sqlite3.node'), `${platform} keeps sqlite3`).toBe(true)
    }
  })

  it('is an asar with npmRebuild off and unpacks every native binary of onnxruntime-node and sqlite3', () => {
    expect(config.asar).toBe(true)
    expect(config.npmRebuild).toBe(false)
    const natives = [...nativeFiles('node_modules/onnxruntime-node/bin'), ...nativeFiles('node_modules/sqlite3')]
    expect(natives.some((f) => f.endsWith('onnxruntime_binding.node'))).toBe(true)
    expect(natives.some((f) => f.endsWith('node_sqlite3.node'))).toBe(true)
    for (const platform of ['linux', 'win', 'mac'] as const) {
      const unpack = filterFor('asarUnpack', platform)
      for (const f of natives) expect(unpack(f), `${platform}: ${f}`).toBe(true)
      expect(unpack('node_modules/sqlite3/lib/sqlite3.js')).toBe(true) // binding loader finds build/ next to it
      expect(unpack('resources/demo-backpack/model.safetensors')).toBe(true)
      expect(unpack('out/main/index.js')).toBe(false)
    }
  })

  it('has a desktop entry in Science/Education and a deb maintainer', () => {
    const linux = platformOptions('linux') as NonNullable<Configuration['linux']>
    const entry = (linux.desktop as { entry: Record<string, string> }).entry
    expect(entry.Categories.split(';')).toEqual(expect.arrayContaining(['Science', 'Education']))
    expect(entry.Name).toBe(pkg.productName)
    expect(linux.maintainer).toMatch(/<[^@\s]+@[^>\s]+>/)
  })

  it('signs macOS with the hardened runtime and JIT entitlements in a valid plist', () => {
    const mac = platformOptions('mac') as NonNullable<Configuration['mac']>
    expect(mac.hardenedRuntime).toBe(true)
    for (const path of [mac.entitlements, mac.entitlementsInherit]) {
      const parsed = plist.parse(readFileSync(join(root, path!), 'utf8')) as Record<string, unknown>
      expect(parsed['com.apple.security.cs.allow-jit']).toBe(true)
      expect(parsed['com.apple.security.cs.allow-unsigned-executable-memory']).toBe(true)
    }
  })
})

describe('icons', () => {
  it('build/icon.png is 1024 px and build/icons/NxN.png are N px, for every Linux size', () => {
    expect(pngSize(readFileSync(join(root, 'build/icon.png')))).toEqual([1024, 1024])
    expect(platformOptions('linux').icon).toBe('build/icons')
    for (const n of LINUX_SIZES) expect(pngSize(readFileSync(join(root, `build/icons/${n}x${n}.png`)))).toEqual([n, n])
  })

  it('icon.ico holds 16…256 px PNGs whose directory entries match the images', () => {
    expect(platformOptions('win').icon).toBe('build/icon.ico')
    const ico = readFileSync(join(root, 'build/icon.ico'))
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)]).toEqual([0, 1])
    const sizes: number[] = []
    for (let i = 0; i < ico.readUInt16LE(4); i++) {
      const e = 6 + 16 * i
      const size = ico[e] === 0 ? 256 : ico[e]
      const image = ico.subarray(ico.readUInt32LE(e + 12), ico.readUInt32LE(e + 12) + ico.readUInt32LE(e + 8))
      expect(pngSize(image)).toEqual([size, size])
      sizes.push(size)
    }
    expect(sizes).toEqual(expect.arrayContaining([16, 32, 48, 256]))
  })

  it('icon.icns holds PNGs of the sizes its types declare, up to 1024 (512@2x)', () => {
    expect(platformOptions('mac').icon).toBe('build/icon.icns')
    const icns = readFileSync(join(root, 'build/icon.icns'))
    expect(icns.subarray(0, 4).toString('ascii')).toBe('icns')
    expect(icns.readUInt32BE(4)).toBe(icns.length)
    const expected: Record<string, number> = {
      icp4: 16,
      icp5: 32,
      ic11: 32,
      icp6: 64,
      ic12: 64,
      ic07: 128,
      ic08: 256,
      ic13: 256,
      ic09: 512,
      ic14: 512,
      ic10: 1024,
    }
    const seen: string[] = []
    for (let o = 8; o < icns.length;) {
      const type = icns.subarray(o, o + 4).toString('ascii')
      const len = icns.readUInt32BE(o + 4)
      const [w, h] = pngSize(icns.subarray(o + 8, o + len))
      expect([type, w, h]).toEqual([type, expected[type], expected[type]])
      seen.push(type)
      o += len
    }
    expect(seen.sort()).toEqual(Object.keys(expected).sort())
  })

  it('the committed icons are exactly what tools/icons/generate-icons.ts draws', () => {
    for (const n of [16, 48]) {
      expect(renderIcon(n).equals(readFileSync(join(root, `build/icons/${n}x${n}.png`))), `${n}px`).toBe(true)
    }
    // and the image really is the emblem: opaque tile centre, transparent corner
    const png = readFileSync(join(root, 'build/icons/48x48.png'))
    const idat = png.indexOf('IDAT')
    const raw = inflateSync(png.subarray(idat + 4, idat + 4 + png.readUInt32BE(idat - 4)))
    const alpha = (x: number, y: number) => raw[y * (48 * 4 + 1) + 1 + x * 4 + 3]
    expect(alpha(0, 0)).toBe(0)
    expect(alpha(24, 24)).toBe(255)
    expect(existsSync(join(root, 'tools/icons/generate-icons.ts'))).toBe(true)
  })
})
