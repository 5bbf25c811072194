import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { availableParallelism } from 'node:os'
import { join } from 'node:path'
import { readNpy } from '../../src/main/npy/npy'
import { benchIds, median, runChild, type PhaseResult } from './bench-common'
import { compareTensors } from './compare-tensors'
import { REPO_ROOT, benchDir, referencePython } from './full-size-checkpoint'

/**
 * Whole processes, timed from spawn to exit as a user scripting them sees them:
 *   - the built CLI (out/cli/index.mjs, plain `node`): `help` and `info` start-up, and
 *     `forward` of 512 tokens writing logits/senses/contextualization .npy (cached model);
 *   - the same with `--weights prepacked` (the sessions the app opens: slower to open);
 *   - the PyTorch process doing the same forward (tools/reference/run_reference.py, fp32, same
 *     thread count), alternating with ours, `repeats` rounds;
 * then checks that the two processes' .npy files agree (max error ≤ 1e-4 of each tensor's scale,
 * the parity measure). `node -e 0` is timed too: the floor of any Node process here.
 */
const CLI = join(REPO_ROOT, 'out', 'cli', 'index.mjs')
const PARITY = 1e-4

async function wall(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; stdout: string }> {
  const t0 = performance.now()
  const stdout = await runChild(cmd, args, env)
  return { ms: performance.now() - t0, stdout }
}

async function medianWall(cmd: string, args: string[], env: NodeJS.ProcessEnv, n: number): Promise<number> {
  const times: number[] = []
  for (let i = 0; i < n; i++) times.push((await wall(cmd, args, env)).ms)
  return median(times)
}

export async function processPhase(
  dir: string,
  env: NodeJS.ProcessEnv,
  repeats: number,
  skipReference: boolean,
  log: (line: string) => void,
): Promise<PhaseResult> {
  const figures: PhaseResult['figures'] = {}
  const notes: string[] = []
  log('built CLI: build if stale …')
  await runChild(process.execPath, [join(REPO_ROOT, 'tools/cli/build-cli.mjs'), '--if-stale'])
  const node = process.execPath
  figures.nodeStartMs = await medianWall(node, ['-e', '0'], env, 7)
  figures.cliHelpMs = await medianWall(node, [CLI, 'help'], env, 7)
  figures.cliInfoMs = await medianWall(node, [CLI, 'info', '--checkpoint', dir], env, 7)

  const vocab = (JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { vocab_size: number }).vocab_size
  const ids = benchIds(512, vocab, 512).join(',')
  const work = mkdtempSync(join(benchDir(), 'process-'))
  const ours: number[] = []
  const prepacked: number[] = []
  const prepackedOpen: number[] = []
  const theirs: number[] = []
  const breakdown: Record<string, number>[] = []
  try {
    const oursOut = join(work, 'ours')
    const refOut = join(work, 'reference')
    // one untimed run each first (the model files into the page cache, as for a cached model)
    const pairs = Math.max(2, Math.min(repeats, 5))
    for (let i = -1; i < pairs; i++) {
      log(`whole process, forward T=512: ${i < 0 ? 'warm-up' : `round ${i + 1} of ${pairs}`} …`)
      const o = await wall(node, [CLI, 'forward', '--checkpoint', dir, '--ids', ids, '--out', oursOut], env)
      const t = (JSON.parse(o.stdout) as { timingsMs: { open: number; forward: number; write: number } }).timingsMs
      if (i >= 0) {
        ours.push(o.ms)
        breakdown.push({ open: t.open, forward: t.forward, write: t.write })
      }
      const p = await wall(
        node,
        [CLI, 'forward', '--checkpoint', dir, '--ids', ids, '--out', join(work, 'prepacked'), '--weights', 'prepacked'],
        env,
      )
      if (i >= 0) {
        prepacked.push(p.ms)
        prepackedOpen.push((JSON.parse(p.stdout) as { timingsMs: { open: number } }).timingsMs.open)
      }
      if (skipReference) continue
      const r = await wall(
        referencePython(),
        [
          join(REPO_ROOT, 'tools/reference/run_reference.py'),
          '--checkpoint',
          dir,
          '--ids',
          ids,
          '--out',
          refOut,
          '--dtype',
          'float32',
          '--threads',
          String(availableParallelism()),
        ],
        env,
      )
      if (i >= 0) theirs.push(r.ms)
    }
    // the loads as the CLI reports its own open (worker start, conversion cache lookup, sessions)
    figures.cliCachedLoadMappedMs = median(breakdown.map((b) => b.open))
    figures.cliCachedLoadPrepackedMs = median(prepackedOpen)
    figures.processForwardT512Ms = median(ours)
    figures.processForwardT512PrepackedMs = median(prepacked)
    figures.referenceProcessForwardT512Ms = skipReference ? null : median(theirs)
    const part = (k: string) => median(breakdown.map((b) => b[k])).toFixed(0)
    notes.push(
      `whole process (ours), medians: open ${part('open')} ms, forward ${part('forward')} ms, write ${part('write')} ms; the rest is Node start, module loading and exit`,
    )
    notes.push(
      `whole process walls, ours: ${ours.map((m) => (m / 1000).toFixed(2)).join(', ')} s; --weights prepacked: ${prepacked.map((m) => (m / 1000).toFixed(2)).join(', ')} s; PyTorch: ${theirs.map((m) => (m / 1000).toFixed(2)).join(', ') || 'skipped'} s`,
    )
    if (!skipReference) {
      const worst: string[] = []
      let agree = true
      for (const name of ['logits', 'senses', 'contextualization']) {
        const a = readNpy(join(oursOut, `${name}.npy`))
        const b = readNpy(join(refOut, `${name}.npy`))
        const c = compareTensors(name, b.shape, a.data, b.data)
        agree &&= c.relativeError <= PARITY && a.shape.join() === b.shape.join()
        worst.push(`${name} ${c.relativeError.toExponential(1)} at [${c.worstIndex.join(', ')}]`)
      }
      figures.processOutputsAgree = agree ? 1 : 0
      notes.push(`whole process outputs ${agree ? 'agree' : 'DISAGREE'} (max error / scale, limit ${PARITY}): ${worst.join('; ')}`)
    }
    await coldLoads(dir, env, work, pairs, figures, notes, log)
  } finally {
    rmSync(work, { recursive: true, force: true })
  }
  return { phase: 'process', figures, notes }
}

/**
 * Cold load as the built CLI sees it: `forward` of one token with an empty conversion cache each
 * round (convert + open, mapped weights), its own `open` timing; median of `rounds`.
 */
async function coldLoads(
  dir: string,
  env: NodeJS.ProcessEnv,
  work: string,
  rounds: number,
  figures: PhaseResult['figures'],
  notes: string[],
  log: (line: string) => void,
): Promise<void> {
  const opens: number[] = []
  for (let i = 0; i < rounds; i++) {
    log(`cold load through the built CLI: round ${i + 1} of ${rounds} …`)
    const cache = mkdtempSync(join(work, 'cold-cache-'))
    try {
      const o = await wall(process.execPath, [CLI, 'forward', '--checkpoint', dir, '--ids', '0', '--out', join(work, 'cold')], {
        ...env,
        BACKPACK_CACHE_DIR: cache,
      })
      const t = (JSON.parse(o.stdout) as { conversion: string; timingsMs: { open: number; openDetail: Record<string, number> } }).timingsMs
      opens.push(t.open)
      if (i === 0) notes.push(`cold load (built CLI): open detail ${JSON.stringify(t.openDetail)}`)
    } finally {
      rmSync(cache, { recursive: true, force: true })
    }
  }
  figures.cliColdLoadMs = median(opens)
  notes.push(`cold loads (built CLI, forward's open): ${opens.map((m) => (m / 1000).toFixed(2)).join(', ')} s`)
}
