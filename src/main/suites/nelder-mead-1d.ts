/**
 * Derivative-free minimisation of f(x) over one real variable by the Nelder–Mead simplex
 * method (Nelder & Mead, "A simplex method for function minimization", 1965) with the usual
 * coefficients (reflection 1, expansion 2, contraction 0.5, shrink 0.5). Defaults follow the
 * choices SciPy documents for `minimize(method='Nelder-Mead')`, which the Backpack authors used
 * to fit the gender-bias weight: an initial simplex {x0, 1.05·x0} (0.00025 when x0 = 0),
 * stop when both the simplex width and the spread of its values are ≤ 1e-4, or after
 * 200 iterations / 200 evaluations.
 */
export interface NelderMeadOptions {
  xatol?: number
  fatol?: number
  maxIterations?: number
  maxEvaluations?: number
}

export interface NelderMeadResult {
  x: number
  value: number
  iterations: number
  evaluations: number
  converged: boolean
}

export async function nelderMead1d(
  f: (x: number) => Promise<number> | number,
  x0: number,
  options: NelderMeadOptions = {},
): Promise<NelderMeadResult> {
  const xatol = options.xatol ?? 1e-4
  const fatol = options.fatol ?? 1e-4
  const maxIterations = options.maxIterations ?? 200
  const maxEvaluations = options.maxEvaluations ?? 200
  let evaluations = 0
  const ev = async (x: number) => {
    evaluations++
    return f(x)
  }
  // simplex of two points, kept sorted: best first
  let pts: { x: number; v: number }[] = [
    { x: x0, v: await ev(x0) },
    { x: x0 !== 0 ? 1.05 * x0 : 0.00025, v: 0 },
  ]
  pts[1].v = await ev(pts[1].x)
  let iterations = 0
  const sort = () => pts.sort((a, b) => a.v - b.v)
  sort()
  let converged = false
  while (iterations < maxIterations && evaluations < maxEvaluations) {
    if (Math.abs(pts[1].x - pts[0].x) <= xatol && Math.abs(pts[1].v - pts[0].v) <= fatol) {
      converged = true
      break
    }
    iterations++
    const [best, worst] = pts
    const centroid = best.x // the centroid of all points but the worst
    const xr = centroid + (centroid - worst.x)
    const vr = await ev(xr)
    if (vr < best.v) {
      const xe = centroid + 2 * (centroid - worst.x)
      const ve = await ev(xe)
      pts = ve < vr ? [best, { x: xe, v: ve }] : [best, { x: xr, v: vr }]
    } else if (vr < worst.v) {
      // with two points "better than the second worst" means "better than the best" (handled
      // above), so a reflected point that only beats the worst gets an outside contraction
      const xc = centroid + 0.5 * (xr - centroid)
      const vc = await ev(xc)
      if (vc <= vr) pts = [best, { x: xc, v: vc }]
      else {
        const xs = best.x + 0.5 * (worst.x - best.x)
        pts = [best, { x: xs, v: await ev(xs) }]
      }
    } else {
      const xcc = centroid - 0.5 * (centroid - worst.x)
      const vcc = await ev(xcc)
      if (vcc < worst.v) pts = [best, { x: xcc, v: vcc }]
      else {
        const xs = best.x + 0.5 * (worst.x - best.x)
        pts = [best, { x: xs, v: await ev(xs) }]
      }
    }
    sort()
  }
  return { x: pts[0].x, value: pts[0].v, iterations, evaluations, converged }
}
