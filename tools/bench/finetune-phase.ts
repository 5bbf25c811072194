import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { backgroundFromText, loadBackgroundText } from '../../src/main/finetune/background-text'
import { parseCanonicalExamples } from '../../src/main/finetune/canonical-examples'
import { FINETUNE_DEFAULTS } from '../../src/main/finetune/finetune-options'
import { openEngine } from '../../src/main/runtime/open-engine'
import { gpt2Tokenizer } from '../../src/main/tokenizer/gpt2-tokenizer'
import { median, PHASE_RESULT_PREFIX, runChild, type PhaseResult } from './bench-common'
import { REPO_ROOT, referencePython } from './full-size-checkpoint'

/**
 * `tsx tools/bench/finetune-phase.ts CHECKPOINT_DIR [EPOCHS]`: one epoch of sense fine-tuning on
 * 10 canonical examples through `finetune` in the engine worker (the app's path), next to the same
 * loop in PyTorch with autograd on the same selected senses, the same examples and background
 * (tools/reference/finetune_bench.py, same thread count). Figures: finetuneEpochMs and
 * referenceFinetuneEpochMs (medians over the epochs), finetunePrepareMs (forwards, background
 * statistics, selection), finetunePairs.
 */
const EXAMPLES = [
  ['The capital of France is', ' Paris'],
  ['The capital of Japan is', ' Tokyo'],
  ['A dog is a member of the genus', ' Canis'],
  ['The nurse said that', ' she'],
  ['Water is made of hydrogen and', ' oxygen'],
  ['The opposite of hot is', ' cold'],
  ['The Eiffel Tower is in', ' Paris'],
  ['A violin is a musical', ' instrument'],
  ['The largest planet in the solar system is', ' Jupiter'],
  ['Shakespeare wrote the play', ' Hamlet'],
]
const BACKGROUND_TOKENS = 1024

async function main(): Promise<void> {
  const [dirArg, epochsArg] = process.argv.slice(2)
  if (!dirArg) throw new Error('usage: finetune-phase.ts CHECKPOINT_DIR [EPOCHS]')
  const dir = resolve(dirArg)
  const epochs = Math.max(2, Number(epochsArg) || 3)
  const tok = gpt2Tokenizer()
  const examplesText = EXAMPLES.map(([prefix, suffix]) => JSON.stringify({ prefix, suffix })).join('\n')
  const held = await loadBackgroundText(undefined, BACKGROUND_TOKENS)
  const backgroundText = tok.decode(held.ids)
  const background = backgroundFromText(backgroundText, 'bench') // the ids the worker will use
  const options = { ...FINETUNE_DEFAULTS, loss: 'nll' as const, epochs }
  const engine = await openEngine({ checkpointDir: dir })
  const work = mkdtempSync(join(tmpdir(), 'bench-finetune-'))
  try {
    const r = await engine.finetune({ examples: examplesText, options, background: { text: backgroundText, source: 'bench' } })
    const examples = parseCanonicalExamples(examplesText, {
      loss: 'nll',
      tokenize: (s) => tok.encode(s),
      nPositions: engine.config.nPositions,
      vocabSize: engine.config.vocabSize,
    })
    const job = {
      examples: examples.map((e) => ({ prefix: e.prefix, suffix: e.suffixes[0] })),
      pairs: r.selected.map((s) => ({ token: s.token, sense: s.sense })),
      background: background.ids,
      lr: options.lr,
      klWeight: options.klWeight,
      epochs,
    }
    const jobPath = join(work, 'job.json')
    writeFileSync(jobPath, JSON.stringify(job))
    const threads = availableParallelism()
    const refOut = await runChild(referencePython(), [
      join(REPO_ROOT, 'tools/reference/finetune_bench.py'),
      '--checkpoint',
      dir,
      '--job',
      jobPath,
      '--threads',
      String(threads),
    ])
    const ref = JSON.parse(refOut.trim().split('\n').pop() ?? '{}') as {
      epochMs: number[]
      threads: number
      torch: string
      objective: number[]
    }
    const result: PhaseResult = {
      phase: 'finetune',
      figures: {
        finetuneEpochMs: median(r.timingsMs.epochs),
        referenceFinetuneEpochMs: median(ref.epochMs),
        finetunePrepareMs: r.timingsMs.prepare,
        finetunePairs: r.selected.length,
      },
      notes: [
        `fine-tune: ${examples.length} examples, ${r.selected.length} selected senses, ${background.ids.length} background tokens (${r.background.reachedPositions} reached by the selected tokens), ${epochs} epochs; ours per epoch ${r.timingsMs.epochs.join('/')} ms, PyTorch ${ref.epochMs.map((x) => x.toFixed(0)).join('/')} ms (torch ${ref.torch}, ${ref.threads} threads, autograd with α precomputed)`,
        `fine-tune objective after each epoch: ours ${r.history.map((h) => h.objective.toFixed(4)).join('/')}, PyTorch (before each step) ${ref.objective.map((x) => x.toFixed(4)).join('/')}`,
      ],
    }
    process.stdout.write(`${PHASE_RESULT_PREFIX}${JSON.stringify(result)}\n`)
  } finally {
    rmSync(work, { recursive: true, force: true })
    await engine.dispose()
  }
}

await main()
