import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { GRAPH_IO_VERSION, GRAPHS, type GraphName } from '../../../shared/model/graph-io'
import { buildContextGraph } from './build-context-graph'
import { buildLmHeadGraph, buildMixGraph } from './build-head-graphs'
import { buildSensesGraph } from './build-senses-graph'
import { EXTERNAL_DATA_FILE, ExternalDataFile, type WeightSource } from './external-data-file'
import { WTE, type CheckpointWeights } from './graph-ops'
import { CONVERTER_VERSION, MANIFEST_FILE, MANIFEST_FORMAT, parameterCount, type OnnxManifest } from './onnx-manifest'

/**
 * Writes the four graphs of the catalog, their shared external-data file and the manifest into
 * an existing (empty) directory. Graphs are built first (weights registered at fixed offsets),
 * then the weights are written with progress (`onProgress(fraction 0..1)`) and a cancellation
 * check between tensors (copied from `source`'s file where they are views of its unread image);
 * the manifest is written last.
 */
export async function writeOnnxExport(
  w: CheckpointWeights,
  dir: string,
  contentHash: string,
  options: { checkAbort?: () => void; onProgress?: (fraction: number, what: string) => void; source?: WeightSource } = {},
): Promise<OnnxManifest> {
  const data = new ExternalDataFile(join(dir, EXTERNAL_DATA_FILE))
  const graphs: [GraphName, Uint8Array][] = [
    ['lm_head', buildLmHeadGraph(w, data)], // E first: it sits at offset 0
    ['senses', buildSensesGraph(w, data)],
    ['context', buildContextGraph(w, data)],
    ['mix', buildMixGraph(w.config)],
  ]
  await data.flush({
    checkAbort: options.checkAbort,
    source: options.source,
    onBytes: (done, total) =>
      options.onProgress?.(done / total, `${Math.round(done / 1e6)} of ${Math.round(total / 1e6)} MB of weights written`),
  })
  options.checkAbort?.()
  for (const [name, bytes] of graphs) writeFileSync(join(dir, GRAPHS[name].file), bytes)
  const manifest: OnnxManifest = {
    format: MANIFEST_FORMAT,
    graphIoVersion: GRAPH_IO_VERSION,
    contentHash,
    config: w.config,
    graphs: { senses: GRAPHS.senses.file, context: GRAPHS.context.file, mix: GRAPHS.mix.file, lm_head: GRAPHS.lm_head.file },
    dataFile: EXTERNAL_DATA_FILE,
    embeddingOffset: data.offsetOf(WTE),
    createdAt: new Date().toISOString(),
    parameterCount: parameterCount(w),
    converterVersion: CONVERTER_VERSION,
  }
  writeFileSync(join(dir, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n')
  return manifest
}
