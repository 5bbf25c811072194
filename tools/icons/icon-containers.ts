/**
 * The two icon containers, both holding PNG images:
 * - ICO (Windows): 6-byte header, one 16-byte directory entry per image, then the PNGs
 *   (width/height byte 0 means 256);
 * - ICNS (macOS): "icns" + total length, then per image a 4-char type + length + PNG.
 */
export function icoEncode(images: { size: number; png: Buffer }[]): Buffer {
  const header = Buffer.alloc(6)
  header.writeUInt16LE(0, 0) // reserved
  header.writeUInt16LE(1, 2) // type: icon
  header.writeUInt16LE(images.length, 4)
  const entries: Buffer[] = []
  let offset = 6 + 16 * images.length
  for (const { size, png } of images) {
    if (size > 256) throw new Error(`ICO images are at most 256 px, got ${size}`)
    const e = Buffer.alloc(16)
    e[0] = size === 256 ? 0 : size
    e[1] = size === 256 ? 0 : size
    e.writeUInt16LE(1, 4) // colour planes
    e.writeUInt16LE(32, 6) // bits per pixel
    e.writeUInt32LE(png.length, 8)
    e.writeUInt32LE(offset, 12)
    entries.push(e)
    offset += png.length
  }
  return Buffer.concat([header, ...entries, ...images.map((i) => i.png)])
}

/** ICNS types that hold PNG data, by pixel size (the @2x types reuse the bigger rendering). */
export const ICNS_TYPES: { type: string; size: number }[] = [
  { type: 'icp4', size: 16 },
  { type: 'icp5', size: 32 },
  { type: 'ic11', size: 32 }, // 16@2x
  { type: 'icp6', size: 64 },
  { type: 'ic12', size: 64 }, // 32@2x
  { type: 'ic07', size: 128 },
  { type: 'ic08', size: 256 },
  { type: 'ic13', size: 256 }, // 128@2x
  { type: 'ic09', size: 512 },
  { type: 'ic14', size: 512 }, // 256@2x
  { type: 'ic10', size: 1024 }, // 512@2x
]

export function icnsEncode(pngBySize: Map<number, Buffer>): Buffer {
  const parts: Buffer[] = []
  for (const { type, size } of ICNS_TYPES) {
    const png = pngBySize.get(size)
    if (!png) throw new Error(`ICNS needs a ${size}px image for ${type}`)
    const head = Buffer.alloc(8)
    head.write(type, 0, 'ascii')
    head.writeUInt32BE(png.length + 8, 4)
    parts.push(head, png)
  }
  const body = Buffer.concat(parts)
  const head = Buffer.alloc(8)
  head.write('icns', 0, 'ascii')
  head.writeUInt32BE(body.length + 8, 4)
  return Buffer.concat([head, body])
}
