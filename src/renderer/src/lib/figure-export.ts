import { downloadText } from './download'

/** Saves the first <svg> inside `host` as an SVG file (styles Plot put inside it come along). */
export function exportSvg(host: Element, fileName: string): void {
  const svg = host.querySelector('svg')
  if (!svg) return
  downloadText(fileName, svgText(svg), 'image/svg+xml')
}

/** Saves the first <svg> inside `host` as a PNG at `scale`× its size, on a white background. */
export async function exportPng(host: Element, fileName: string, scale = 2): Promise<void> {
  const svg = host.querySelector('svg')
  if (!svg) return
  const { width, height } = svg.getBoundingClientRect()
  const url = URL.createObjectURL(new Blob([svgText(svg)], { type: 'image/svg+xml' }))
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

function svgText(svg: SVGSVGElement): string {
  const copy = svg.cloneNode(true) as SVGSVGElement
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg')
  // resolve the theme's currentColor so the file looks the same outside the app
  copy.setAttribute('style', `${copy.getAttribute('style') ?? ''};color:${getComputedStyle(svg).color}`)
  return new XMLSerializer().serializeToString(copy)
}
