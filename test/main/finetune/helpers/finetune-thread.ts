/**
 * Runs a whole fine-tuning request through a model session's engine and prints whether this (the
 * calling) thread loaded onnxruntime-node and which epochs' figures arrived as progress.
 * Usage: node --import tsx finetune-thread.ts CHECKPOINT_DIR CACHE_DIR
 */
import { createRequire } from 'node:module'
import { ModelSession } from '../../../../src/main/session/model-session'

const [checkpointDir, cacheDir] = process.argv.slice(2)
process.env.BACKPACK_CACHE_DIR = cacheDir
const session = await ModelSession.open({ checkpointDir }, { provider: 'cpu' })
const epochs: number[] = []
const r = await session.engine.finetune(
  {
    examples:
      '{"prefix": "the capital and largest city of", "suffix": " France"}\n{"prefix": "a member of the genus", "suffix": " Canis"}\n',
    options: { loss: 'nll', sensesPerExample: 2, lambda: 1000, lr: 0.5, klWeight: 1, epochs: 4, seed: 0 },
    background: { text: 'the capital of France. a member of the genus Canis. '.repeat(20), source: 'test' },
  },
  { onProgress: (p) => p.figures && epochs.push(p.figures.epoch) },
)
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('onnxruntime-node'))
await session.dispose()
process.stdout.write(
  JSON.stringify({
    ortOnThisThread: loaded,
    epochs,
    epochKept: r.epochKept,
    edits: r.document?.edits.length ?? 0,
    fell: r.after!.canonicalLoss < r.before.canonicalLoss,
  }) + '\n',
)
