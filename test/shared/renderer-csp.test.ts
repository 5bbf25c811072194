// @vitest-environment jsdom
import { createHash } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import * as Plot from '@observablehq/plot'
import { describe, expect, it } from 'vitest'
import { DEV_SERVER_CSP, PLOT_STYLE_HASHES, RENDERER_CSP } from '../../src/shared/renderer-csp'

/** The renderer's CSP: strict, and its style hashes are exactly those of the installed Plot. */
const directives = new Map(
  RENDERER_CSP.split(';').map((d) => {
    const [name, ...values] = d.trim().split(/\s+/)
    return [name, values] as const
  }),
)

describe('RENDERER_CSP', () => {
  it('allows scripts, styles, fonts and fetches from the app only: no inline script, eval, frames, plugins or forms', () => {
    expect(RENDERER_CSP).not.toMatch(/unsafe-inline|unsafe-eval|unsafe-hashes|\*|https?:|data:/)
    expect(directives.get('default-src')).toEqual(["'self'"])
    expect(directives.get('script-src')).toEqual(["'self'"])
    expect(directives.get('style-src')).toEqual(["'self'", ...PLOT_STYLE_HASHES.map((h) => `'${h}'`)])
    for (const d of ['object-src', 'frame-src', 'frame-ancestors', 'base-uri', 'form-action', 'worker-src'])
      expect(directives.get(d), d).toEqual(["'none'"])
  })

  it('the dev-server variant differs only in allowing inline styles (Vite injects stylesheets)', () => {
    const dev = DEV_SERVER_CSP.split('; ')
    const built = RENDERER_CSP.split('; ')
    expect(dev.filter((d) => !built.includes(d))).toEqual(["style-src 'self' 'unsafe-inline'"])
    expect(dev).toHaveLength(built.length)
  })

  it('allows exactly the <style> elements Observable Plot writes into charts and legends', () => {
    // (jsdom: the charts the app draws, in the default class name the hashes cover)
    const rendered = [
      Plot.plot({ marks: [Plot.dot([{ x: 1 }, { x: 2 }], { x: 'x' })] }),
      Plot.legend({ color: { type: 'categorical', domain: ['a', 'b'] } }),
      Plot.legend({ color: { type: 'categorical', domain: ['a', 'b'] }, columns: '2' }),
      Plot.legend({ color: { type: 'threshold', domain: [0.5], range: ['red', 'blue'] } }),
    ]
    const hashes = rendered.flatMap((el) =>
      [...el.querySelectorAll('style')].map(
        (s) =>
          `sha256-${createHash('sha256')
            .update(s.textContent ?? '')
            .digest('base64')}`,
      ),
    )
    expect(hashes, 'after a Plot upgrade, put these hashes in src/shared/renderer-csp.ts').toEqual([...PLOT_STYLE_HASHES])
  })

  it('the renderer markup has no static style attributes (the CSP allows none: use a class; style={…} and style: directives go through the CSSOM, which CSP allows)', () => {
    const files: string[] = []
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        if (e.isDirectory()) walk(join(dir, e.name))
        else if (e.name.endsWith('.svelte') || e.name.endsWith('.html')) files.push(join(dir, e.name))
      }
    }
    walk(join(import.meta.dirname, '../../src/renderer'))
    expect(files.length).toBeGreaterThan(10)
    for (const f of files) {
      const markup = readFileSync(f, 'utf8')
        .replace(/<style[\s\S]*?<\/style>/g, '')
        .replace(/<script[\s\S]*?<\/script>/g, '')
      expect(markup.match(/\sstyle\s*=\s*["']/g), f).toBeNull()
    }
  })
})
