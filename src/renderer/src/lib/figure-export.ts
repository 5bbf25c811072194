import { downloadText } from './download'

/**
 * Saves the charts inside `host` as one SVG file (styles Plot put inside them come along);
 * several charts (small multiples) are laid side by side as nested <svg>s.
 */
export function exportSvg(host: Element, fileName: string): void {
  const svg = combined(host)
  if (!svg) return
  downloadText(fileName, svgText(svg, getComputedStyle(host).color), 'image/svg+xml')
}

/** The chart SVGs of `host` (legend swatches excluded) as one SVG, side by side. */
function combined(host: Element): SVGSVGElement | null {
  // top-level chart SVGs only: not legend swatches (tiny) and not SVGs nested in another
  const charts = [...host.querySelectorAll('svg')].filter((s) => !s.parentElement?.closest('svg') && s.getBoundingClientRect().height > 40)
  if (charts.length <= 1) return charts[0] ?? host.querySelector('svg')
  const out = document.createElementNS('http://www.w3.org/2000/svg', 'svg')
  let x = 0
  let h = 0
  for (const c of charts) {
    const { width, height } = c.getBoundingClientRect()
    const copy = c.cloneNode(true) as SVGSVGElement
    copy.setAttribute('x', String(x))
    copy.setAttribute('width', String(width))
    copy.setAttribute('height', String(height))
    out.append(copy)
    x += width + 16
    h = Math.max(h, height)
  }
  out.setAttribute('width', String(x))
  out.setAttribute('height', String(h))
  out.setAttribute('viewBox', `0 0 ${x} ${h}`)
  return out
}

/** Saves the first <svg> inside `host` as a PNG at `scale`× its size, on a white background. */
export async function exportPng(host: Element, fileName: string, scale = 2): Promise<void> {
  const svg = combined(host)
  if (!svg) return
  const width = Number(svg.getAttribute('width')) || svg.getBoundingClientRect().width
  const height = Number(svg.getAttribute('height')) || svg.getBoundingClientRect().height
  const url = URL.createObjectURL(new Blob([svgText(svg, getComputedStyle(host).color)], { type: 'image/svg+xml' }))
  try {
    const img = new Image()
    await new Promise<void>((resolve, reject) => {
      img.onload = () => resolve()
      img.onerror = () => reject(new Error('the figure could not be rasterised'))
      img.src = url
    })
    const canvas = document.createElement('canvas')
    canvas.width = Math.ceil(width * scale)
    canvas.height = Math.ceil(height * scale)
    const ctx = canvas.getContext('2d')
    if (!ctx) return
    ctx.fillStyle = '#ffffff'
    ctx.fillRect(0, 0, canvas.width, canvas.height)
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height)
    const blob = await new Promise<Blob | null>((r) => canvas.toBlob(r, 'image/png'))
    if (!blob) return
    const a = document.createElement('a')
    a.href = URL.createObjectURL(blob)
    a.download = fileName
    document.body.append(a)
    a.click()
    a.remove()
  } finally {
    URL.revokeObjectURL(url)
  }
}

function svgText(svg: SVGSVGElement, color: string): string {
  const copy = svg.cloneNode(true) as SVGSVGElement
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg')
  // resolve the theme's currentColor so the file looks the same outside the app
  copy.setAttribute('style', `${copy.getAttribute('style') ?? ''};color:${color}`)
  return new XMLSerializer().serializeToString(copy)
}
