/**
 * Runs a model session through the paths that use onnxruntime besides the model graphs — a re-run
 * from a base (the re-base Gemm), the sense table's scores phase (score extremes) and a reverse
 * lookup (the int8 MatMulInteger) — and prints whether this (the calling) thread loaded
 * onnxruntime-node. Usage: node --import tsx main-thread-ort.ts CHECKPOINT_DIR CACHE_DIR
 */
import { createRequire } from 'node:module'
import { parseSenseEdits } from '../../../../src/shared/edits/parse-sense-edits'
import { ModelSession } from '../../../../src/main/session/model-session'
import { reverseLookup } from '../../../../src/main/senses/reverse-lookup'

const [checkpointDir, cacheDir] = process.argv.slice(2)
process.env.BACKPACK_CACHE_DIR = cacheDir
const session = await ModelSession.open({ checkpointDir }, { provider: 'cpu' })
const { vocabSize, numSenses, nEmbd } = session.engine.config
const doc = (factor: number) =>
  parseSenseEdits(
    { format: 'backpack-sense-edits', version: 1, edits: [{ kind: 'scale-sense', token: 17, sense: [1], factor }] },
    { vocabSize, numSenses, dModel: nEmbd, resolveToken: () => [] },
  )
const ids = [5, 17, 9, 17, 3, 11, 2, 8]
await session.runner.run(ids, doc(1))
await session.runner.run(ids, doc(2)) // from the base: project + addWeightedRows
const table = await session.senseTable({ need: 'scores' })
const lookup = await reverseLookup(session.engine, table, 17, { top: 5 })
const loaded = Object.keys(createRequire(import.meta.url).cache).filter((k) => k.includes('onnxruntime-node'))
await session.dispose()
const after = await session.engine.senseVectors([1]).then(
  () => 'answered',
  (e: { code?: string }) => e.code,
)
process.stdout.write(JSON.stringify({ entries: lookup.entries.length, ortOnThisThread: loaded, afterDispose: after }) + '\n')
