import type { Database } from '../../../../src/main/store/database'

/**
 * Writes a run the way schema versions 1 and 2 stored it (edit document inline in
 * runs.edits_json), so migration tests start from a database an older app really wrote.
 */
export async function insertOldRun(
  db: Database,
  experimentId: number,
  opts: { uid: string; text: string; edits: unknown; metrics: Record<string, number>; blob?: Float32Array },
): Promise<number> {
  const { lastID } = await db.run(
    `INSERT INTO runs (uid, experiment_id, kind, inputs_json, settings_json, prompt_key, outputs_json, metrics_json, timings_json, edits_json,
       app_version, runtime_version, execution_provider, checkpoint_hash, created_at)
     VALUES (?, ?, 'predict', ?, '{"topK":5}', ?, '{"topk":[]}', ?, '{}', ?, '0.0.9', 'onnxruntime-node 1.30.0', 'cpu', NULL, ?)`,
    [
      opts.uid,
      experimentId,
      JSON.stringify({ text: opts.text }),
      JSON.stringify({ kind: 'predict', prompt: opts.text, settings: { topK: 5 } }),
      JSON.stringify(opts.metrics),
      JSON.stringify(opts.edits),
      Date.UTC(2026, 0, 1),
    ],
  )
  if (opts.blob) {
    await db.run("INSERT INTO run_blobs (run_id, name, dtype, shape_json, data) VALUES (?, 'logProbs', 'float32', ?, ?)", [
      lastID,
      JSON.stringify([opts.blob.length]),
      Buffer.from(opts.blob.buffer),
    ])
  }
  return lastID
}
