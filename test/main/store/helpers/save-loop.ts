/**
 * Child process for the reliability tests: saves experiments (each with a run and a 64 kB blob)
 * in a loop and prints `saved <id> <uid>` / `run <id>` only after each commit has returned.
 * Usage: save-loop <db path> <count|forever> <label>
 */
import { ExperimentStore } from '../../../../src/main/store/experiment-store'
import { toErrorInfo } from '../../../../src/shared/errors'

const [path, countArg, label] = process.argv.slice(2)
const count = countArg === 'forever' ? Number.POSITIVE_INFINITY : Number(countArg)

try {
  const store = await ExperimentStore.open(path)
  for (let i = 0; i < count; i++) {
    const e = await store.save({
      name: `${label} ${i}`,
      notes: `saved by pid ${process.pid}`,
      tags: [label, `t${i % 7}`, 'loop'],
      edits: {
        format: 'backpack-sense-edits',
        version: 1,
        edits: [{ kind: 'scale-sense', token: ' nurse', sense: i % 16, factor: i / 100 }],
      },
    })
    process.stdout.write(`saved ${e.id} ${e.uid}\n`)
    const data = new Float32Array(16384).map((_, j) => Math.sin(i + j))
    const r = await store.addRun(e.id, {
      kind: 'predict',
      inputs: { text: `prompt ${i}` },
      settings: { topK: 5 },
      outputs: { topk: [] },
      metrics: { i },
      blobs: { logits: { dtype: 'float32', shape: [16384], data } },
      appVersion: 'test',
      runtimeVersion: null,
      executionProvider: null,
      checkpoint: null,
    })
    process.stdout.write(`run ${r.id}\n`)
  }
  await store.close()
} catch (e) {
  const info = toErrorInfo(e)
  process.stderr.write(`error[${info.code}]: ${info.message}\n`)
  process.exitCode = 1
}
