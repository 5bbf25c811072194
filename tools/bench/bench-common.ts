import { spawn } from 'node:child_process'

/** What a bench child process prints (one line) and the small helpers the phases share. */
export const PHASE_RESULT_PREFIX = 'BENCH_RESULT '

export interface PhaseResult {
  phase: string
  /** milliseconds (…Ms), megabytes (…Mb) or rates; null = not available */
  figures: Record<string, number | null>
  notes: string[]
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

/** Median wall time in ms of `repeats` calls of fn, after one untimed warm-up call. */
export async function timed(fn: () => Promise<unknown>, repeats: number): Promise<number> {
  await fn() // warm-up
  const times: number[] = []
  for (let i = 0; i < repeats; i++) {
    const t0 = performance.now()
    await fn()
    times.push(performance.now() - t0)
  }
  return median(times)
}

/** n deterministic token ids below min(vocab, 50257) (no padding ids), from a small LCG. */
export function benchIds(n: number, vocab: number, seed: number): number[] {
  const limit = Math.min(vocab, 50257)
  let x = (seed * 2654435761 + 12345) >>> 0
  return Array.from({ length: n }, () => {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0
    return x % limit
  })
}

/**
 * Runs a child process, streams its stderr through, and returns stdout. Rejects with the exit
 * code and the last stderr lines when it fails.
 */
export function runChild(cmd: string, args: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    child.stdout.on('data', (b: Buffer) => (out += b.toString()))
    child.stderr.on('data', (b: Buffer) => {
      err += b.toString()
      process.stderr.write(b)
    })
    child.on('error', reject)
    child.on('close', (code) => {
      if (code === 0) resolve(out)
      else reject(new Error(`${cmd} ${args.join(' ')} exited with ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`))
    })
  })
}

/** The PhaseResult line of a child's stdout. */
export function parsePhaseResult(stdout: string): PhaseResult {
  const line = stdout.split('\n').find((l) => l.startsWith(PHASE_RESULT_PREFIX))
  if (!line) throw new Error(`no ${PHASE_RESULT_PREFIX.trim()} line in: ${stdout.slice(-500)}`)
  return JSON.parse(line.slice(PHASE_RESULT_PREFIX.length)) as PhaseResult
}
