/**
 * Writes every icon the installers need, from the emblem drawn in draw-emblem.ts:
 *   build/icon.png (1024), build/icons/<N>x<N>.png (Linux, 16…1024), build/icon.ico (Windows,
 *   16…256), build/icon.icns (macOS, 16…1024).
 * Run: npx tsx tools/icons/generate-icons.ts   (deterministic: same bytes every run)
 */
import { mkdirSync, writeFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { drawEmblem } from './draw-emblem'
import { icnsEncode, icoEncode } from './icon-containers'
import { pngEncode } from './png-encode'

export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512, 1024]
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256]

export function renderIcon(size: number): Buffer {
  return pngEncode(size, size, drawEmblem(size))
}

export function generateIcons(root: string): string[] {
  const png = new Map<number, Buffer>()
  for (const size of LINUX_SIZES) png.set(size, renderIcon(size))
  const written: [string, Buffer][] = [
    ['build/icon.png', png.get(1024)!],
    ...LINUX_SIZES.map((s): [string, Buffer] => [`build/icons/${s}x${s}.png`, png.get(s)!]),
    ['build/icon.ico', icoEncode(ICO_SIZES.map((size) => ({ size, png: png.get(size)! })))],
    ['build/icon.icns', icnsEncode(png)],
  ]
  for (const [rel, bytes] of written) {
    const path = join(root, rel)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, bytes)
  }
  return written.map(([rel]) => rel)
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
  for (const rel of generateIcons(root)) console.log(`wrote ${rel}`)
}
