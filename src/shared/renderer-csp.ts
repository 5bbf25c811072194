/**
 * The renderer's Content-Security-Policy, sent as a response header with every file of the built
 * renderer (the Electron app's `app://` protocol). Scripts, styles, fonts and fetches come only
 * from the app itself; no inline script, no eval, no plugins, no frames, no forms, no `<base>`.
 *
 * Styles: the stylesheet Vite extracts (Svelte's component styles included) is `'self'`. Svelte
 * sets dynamic styles through the CSSOM (`element.style`), which CSP does not restrict, and d3
 * likewise (`style.setProperty`). The one inline style the built renderer needs is the `<style>`
 * element Observable Plot appends to every chart and legend: its text is fixed for a given Plot
 * version (the default class name `plot-d6a7b5` is part of it), so each is allowed by its SHA-256
 * rather than by `'unsafe-inline'`. test/shared/renderer-csp.test.ts renders the installed Plot and
 * fails when a hash here no longer matches (after a Plot upgrade: update the hashes it prints).
 */
export const PLOT_STYLE_HASHES = [
  'sha256-jSYQUrW7J0b3jPqhZP9C2Xh1PyJKHKXd4s0fpGGKrww=', // Plot.plot: the chart's SVG
  'sha256-rCZUQsEQJf1DmnfnMZmlj08XC7qbIZySA6bEtitbQ00=', // a swatches legend (wrapping)
  'sha256-gr1piGzv7W4aMcjDMKcjgg8AT05UNO4uGfMgGyc7Yi0=', // a swatches legend in columns
  'sha256-/jg3HOQ97BIOLIR7iXhepLJanBbw11P39q1Ne1E+6Jc=', // a ramp legend
] as const

export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  `style-src 'self' ${PLOT_STYLE_HASHES.map((h) => `'${h}'`).join(' ')}`,
  "img-src 'self' blob:", // figure export rasterises an SVG blob through an Image
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'none'",
  "frame-src 'none'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ')

/**
 * Under `electron-vite dev` the page comes from Vite's dev server, which injects each stylesheet
 * as a `<style>` element (and hot-reloads them): the same policy with inline styles allowed. Never
 * used for a built app.
 */
export const DEV_SERVER_CSP = RENDERER_CSP.replace(/style-src [^;]*/, "style-src 'self' 'unsafe-inline'")
