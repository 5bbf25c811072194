import { mulberry32 } from '../helpers/mulberry32'

/**
 * The hostile-input suite (test/hostile/*.test.ts) generates many cases per category; `npm test`
 * runs a fixed sample of each, `npm run test:slow` (BACKPACK_HOSTILE=all) runs every case.
 * The sample is drawn with a fixed seed so a failure reproduces; set BACKPACK_HOSTILE_SEED to
 * draw another one.
 */
export function sampleCases<T>(cases: readonly T[], count: number): T[] {
  if (process.env.BACKPACK_HOSTILE === 'all' || cases.length <= count) return [...cases]
  const random = mulberry32(Number(process.env.BACKPACK_HOSTILE_SEED ?? 20261206))
  const pool = [...cases]
  for (let i = pool.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    ;[pool[i], pool[j]] = [pool[j], pool[i]]
  }
  return pool.slice(0, count)
}
