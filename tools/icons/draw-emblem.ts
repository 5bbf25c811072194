/**
 * Rasterises the app emblem — a backpack whose front pocket holds a small grid of coloured
 * "sense" cells on a rounded teal tile — at any size, straight from signed distance functions
 * (coverage = distance to the edge in pixels, so every size is drawn sharp, not downscaled).
 * All geometry is in the unit square; y grows downwards.
 */
type Rgb = [number, number, number]
type Sdf = (x: number, y: number) => number

const hex = (s: string): Rgb => [1, 3, 5].map((i) => parseInt(s.slice(i, i + 2), 16)) as Rgb

function roundedBox(cx: number, cy: number, hw: number, hh: number, r: number): Sdf {
  return (x, y) => {
    const qx = Math.abs(x - cx) - hw + r
    const qy = Math.abs(y - cy) - hh + r
    return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r
  }
}

function upperArc(cx: number, cy: number, radius: number, thickness: number): Sdf {
  return (x, y) => Math.max(Math.abs(Math.hypot(x - cx, y - cy) - radius) - thickness / 2, y - cy)
}

const SENSE_COLOURS = ['#3a86ff', '#e63973', '#2a9d8f', '#8338ec', '#ffbe0b', '#fb5607'].map(hex)

interface Layer {
  sdf: Sdf
  colour: (x: number, y: number) => Rgb
}

const solid = (c: string) => {
  const rgb = hex(c)
  return () => rgb
}

function layers(): Layer[] {
  const top = hex('#2a8c8f')
  const bottom = hex('#17485a')
  const out: Layer[] = [
    {
      sdf: roundedBox(0.5, 0.5, 0.44, 0.44, 0.2), // the tile
      colour: (_x, y) => top.map((t, i) => t + (bottom[i] - t) * y) as Rgb,
    },
    { sdf: upperArc(0.5, 0.3, 0.085, 0.035), colour: solid('#c9712a') }, // handle
    { sdf: roundedBox(0.5, 0.56, 0.24, 0.27, 0.1), colour: solid('#f2a541') }, // body
    { sdf: roundedBox(0.5, 0.4, 0.24, 0.11, 0.1), colour: solid('#d9822b') }, // flap
    { sdf: roundedBox(0.5, 0.67, 0.165, 0.115, 0.045), colour: solid('#fbe6bd') }, // pocket
  ]
  SENSE_COLOURS.forEach((rgb, i) => {
    const col = i % 3
    const row = Math.floor(i / 3)
    out.push({ sdf: roundedBox(0.5 + (col - 1) * 0.09, 0.625 + row * 0.09, 0.032, 0.032, 0.012), colour: () => rgb })
  })
  return out
}

/** RGBA, row-major, premultiplication-free (straight alpha). */
export function drawEmblem(size: number): Uint8Array {
  const out = new Uint8Array(size * size * 4)
  const stack = layers()
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      const x = (px + 0.5) / size
      const y = (py + 0.5) / size
      let r = 0
      let g = 0
      let b = 0
      let a = 0
      for (const layer of stack) {
        const coverage = Math.min(1, Math.max(0, 0.5 - layer.sdf(x, y) * size))
        if (coverage === 0) continue
        const [cr, cg, cb] = layer.colour(x, y)
        // "over" with straight alpha
        const na = coverage + a * (1 - coverage)
        r = (cr * coverage + r * a * (1 - coverage)) / na
        g = (cg * coverage + g * a * (1 - coverage)) / na
        b = (cb * coverage + b * a * (1 - coverage)) / na
        a = na
      }
      const o = (py * size + px) * 4
      out[o] = Math.round(r)
      out[o + 1] = Math.round(g)
      out[o + 2] = Math.round(b)
      out[o + 3] = Math.round(a * 255)
    }
  }
  return out
}
