import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { WorkbenchError } from '../../../shared/errors'
import type { BackpackConfig } from '../../../shared/model/config'
import { GRAPH_IO_VERSION, GRAPH_NAMES, GRAPHS, type GraphName } from '../../../shared/model/graph-io'

export const MANIFEST_FILE = 'manifest.json'
export const MANIFEST_FORMAT = 'backpack-onnx-export'

/**
 * Bumped whenever the graphs change in a way a cached export should not survive (numerics or
 * speed); GRAPH_IO_VERSION covers the interface.
 */
export const CONVERTER_VERSION = 3

/** What an export directory holds: the graphs of the catalog, one data file, and this manifest. */
export interface OnnxManifest {
  format: typeof MANIFEST_FORMAT
  graphIoVersion: number
  contentHash: string
  config: BackpackConfig
  graphs: Record<GraphName, string>
  dataFile: string
  /** byte offset of E ([vocab, d_model] float32) in the data file, for embeddingRows */
  embeddingOffset: number
  createdAt: string
  /** parameter count of the checkpoint (tied tensors once) */
  parameterCount: number
  /** version of the converter that wrote the graphs; the cache rebuilds entries of older ones */
  converterVersion?: number
}

const CONFIG_KEYS: (keyof BackpackConfig)[] = [
  'vocabSize',
  'nEmbd',
  'nHead',
  'nLayer',
  'nPositions',
  'nInner',
  'numSenses',
  'senseIntermediateScale',
  'layerNormEpsilon',
  'scaleAttnByInverseLayerIdx',
  'scaleAttnWeights',
  'bosTokenId',
  'eosTokenId',
]

/** Reads and validates `manifest.json` of an export directory; every referenced file must exist. */
export function readManifest(dir: string): OnnxManifest {
  const path = join(dir, MANIFEST_FILE)
  if (!existsSync(path)) throw new WorkbenchError('onnx-model', `no ${MANIFEST_FILE} in ONNX export directory ${dir}`)
  let m: OnnxManifest
  try {
    m = JSON.parse(readFileSync(path, 'utf8')) as OnnxManifest
  } catch (e) {
    throw new WorkbenchError('onnx-model', `${path} is not valid JSON: ${(e as Error).message}`, { cause: e })
  }
  const bad = (why: string) => new WorkbenchError('onnx-model', `${path}: ${why}`)
  if (typeof m !== 'object' || m === null || m.format !== MANIFEST_FORMAT) throw bad(`format must be "${MANIFEST_FORMAT}"`)
  if (m.graphIoVersion !== GRAPH_IO_VERSION) throw bad(`graphIoVersion ${m.graphIoVersion} is not the supported ${GRAPH_IO_VERSION}`)
  if (typeof m.contentHash !== 'string' || !/^[0-9a-f]{16,128}$/.test(m.contentHash)) throw bad('contentHash must be a hex string')
  if (typeof m.config !== 'object' || m.config === null) throw bad('config is missing')
  for (const key of CONFIG_KEYS) {
    const v = m.config[key]
    const want = key.startsWith('scale') ? 'boolean' : 'number'
    if (typeof v !== want) throw bad(`config.${key} must be a ${want}`)
  }
  const c = m.config
  if (c.nEmbd % c.nHead !== 0 || c.nEmbd % c.numSenses !== 0) throw bad('config.nEmbd must be divisible by nHead and numSenses')
  for (const g of GRAPH_NAMES) {
    const file = m.graphs?.[g]
    if (file !== GRAPHS[g].file) throw bad(`graphs.${g} must be "${GRAPHS[g].file}"`)
    if (!existsSync(join(dir, file))) throw bad(`graph file ${file} is missing`)
  }
  if (typeof m.dataFile !== 'string' || m.dataFile.includes('/') || m.dataFile.includes('\\') || !existsSync(join(dir, m.dataFile))) {
    throw bad('dataFile must name a file in the export directory')
  }
  if (!Number.isSafeInteger(m.embeddingOffset) || m.embeddingOffset < 0) throw bad('embeddingOffset must be a non-negative integer')
  return m
}

/** Distinct parameters of a checkpoint (tied tensors counted once: the reader keeps E and P under one name). */
export function parameterCount(w: { tensors: ReadonlyMap<string, { data: Float32Array }> }): number {
  let n = 0
  for (const t of w.tensors.values()) n += t.data.length
  return n
}
