/**
 * Adam (Kingma & Ba, 2015) over a flat float64 parameter vector, with the learning rate of
 * each step given by the caller (cosine schedule below). β₁ = 0.9, β₂ = 0.999, ε = 1e-8.
 */
export class Adam {
  readonly #m: Float64Array
  readonly #v: Float64Array
  #t = 0

  constructor(size: number) {
    this.#m = new Float64Array(size)
    this.#v = new Float64Array(size)
  }

  /** params −= lr · m̂ / (√v̂ + ε), in place. */
  step(params: Float64Array, grad: Float64Array, lr: number): void {
    const b1 = 0.9
    const b2 = 0.999
    this.#t++
    const c1 = 1 - b1 ** this.#t
    const c2 = 1 - b2 ** this.#t
    for (let i = 0; i < params.length; i++) {
      this.#m[i] = b1 * this.#m[i] + (1 - b1) * grad[i]
      this.#v[i] = b2 * this.#v[i] + (1 - b2) * grad[i] * grad[i]
      params[i] -= (lr * (this.#m[i] / c1)) / (Math.sqrt(this.#v[i] / c2) + 1e-8)
    }
  }
}

/** Cosine decay from lr at step 0 towards 0 at step `total` (PyTorch's CosineAnnealingLR, η_min = 0). */
export function cosineLearningRate(lr: number, step: number, total: number): number {
  return (lr * (1 + Math.cos((Math.PI * step) / total))) / 2
}
