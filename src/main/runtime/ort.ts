import { existsSync, readdirSync } from 'node:fs'
import { createRequire } from 'node:module'
import { availableParallelism } from 'node:os'
import { dirname, join } from 'node:path'
import * as ort from 'onnxruntime-node'
import { WorkbenchError } from '../../shared/errors'

/**
 * The one doorway to onnxruntime-node (design.md §1): sessions, tensors and the list of bundled
 * execution providers. Nothing else imports onnxruntime-node.
 */
export type OrtSession = ort.InferenceSession

export type OrtTensor = ort.Tensor

export interface BackendInfo {
  name: string
  bundled: boolean
}

/**
 * Execution providers this onnxruntime-node build knows, and whether their library is present.
 * onnxruntime-node fixes `bundled` at build time: CUDA and TensorRT always say `false`, even after
 * the install script downloaded their libraries. So for those we look for the provider library
 * next to the native binding.
 */
export function ortBackends(): BackendInfo[] {
  const files = bindingFiles()
  return markInstalledProviders(ort.listSupportedBackends(), files)
}

/** `bundled` made true for providers whose shared library is among `files` (the binding folder). */
export function markInstalledProviders(backends: readonly { name: string; bundled: boolean }[], files: readonly string[]): BackendInfo[] {
  return backends.map((b) => {
    const lib = new RegExp(`^(lib)?onnxruntime_providers_${b.name}\\.(so|dll|dylib)$`)
    return { name: b.name, bundled: b.bundled || files.some((f) => lib.test(f)) }
  })
}

let cachedBindingFiles: string[] | undefined
function bindingFiles(): string[] {
  if (cachedBindingFiles) return cachedBindingFiles
  cachedBindingFiles = []
  try {
    const pkg = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'))
    const dir = join(pkg, 'bin', 'napi-v6', process.platform, process.arch)
    if (existsSync(dir)) cachedBindingFiles = readdirSync(dir)
  } catch {
    // no package.json resolution (e.g. a bundle without it): keep what onnxruntime-node says
  }
  return cachedBindingFiles
}

export function ortVersion(): string {
  return ort.env.versions.common
}

/** An int8/uint8 tensor over the given bytes (no copy on CPU). */
export function byteTensor(type: 'int8' | 'uint8', data: Int8Array | Uint8Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor(type, data, dims)
}

/** Opens a session on an in-memory model (CPU), e.g. a one-node helper graph. */
export async function createSessionFromBytes(model: Uint8Array, name: string, tuning: SessionTuning = {}): Promise<OrtSession> {
  try {
    return await ort.InferenceSession.create(model, sessionOptions('cpu', tuning))
  } catch (e) {
    throw new WorkbenchError('runtime', `onnxruntime could not open the in-memory graph "${name}": ${(e as Error).message}`, { cause: e })
  }
}

export function floatTensor(data: Float32Array, dims: readonly number[]): OrtTensor {
  return new ort.Tensor('float32', data, dims)
}

/** Per-session threading choices (see sessionTuning in engine-core.ts). */
export interface SessionTuning {
  /**
   * Whether idle intra-op threads spin between parallel sections (onnxruntime's default) or
   * sleep at once. Spinning saves a wake-up per section but burns a core while it waits, which
   * slows a graph of many small parallel sections when the cores are shared.
   */
  spinning?: boolean
  /** intra-op threads; default `os.availableParallelism()` */
  threads?: number
  /**
   * Whether onnxruntime re-packs the constant GEMM weights into its kernel layout when the session
   * is created (its default). Packing copies every weight into freshly allocated memory — most of
   * a full-size session's creation time — and makes each later GEMM a little faster; without it
   * the weights stay memory-mapped from the export's data file and each GEMM packs its panels
   * on the fly.
   */
  prepack?: boolean
}

/** The options every session of the workbench uses: one provider, threads per `tuning`. */
function sessionOptions(provider: string, tuning: SessionTuning): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: [provider],
    graphOptimizationLevel: 'all',
    intraOpNumThreads: tuning.threads ?? availableParallelism(),
    interOpNumThreads: 1,
    executionMode: 'sequential',
    logSeverityLevel: 3,
    // No CPU arena: activations at T=512 (α 16·512², logits 512·50264) are freed after each run
    // instead of being kept per session; at full size this keeps resident memory ~0.3 GB lower
    // with no measurable cost next to the GEMMs.
    enableCpuMemArena: false,
    extra: {
      session: {
        ...(tuning.spinning === false ? { intra_op: { allow_spinning: '0' } } : {}),
        ...(tuning.prepack === false ? { disable_prepacking: '1' } : {}),
      },
    },
  }
}

/** Opens a session on a model file (external data next to it) with one execution provider. */
export async function createSession(path: string, provider: string, tuning: SessionTuning = {}): Promise<OrtSession> {
  const options = sessionOptions(provider, tuning)
  try {
    return await ort.InferenceSession.create(path, options)
  } catch (e) {
    throw new WorkbenchError('runtime', `onnxruntime could not open ${path} with provider "${provider}": ${(e as Error).message}`, {
      cause: e,
    })
  }
}

/** Runs a session; errors become `runtime` WorkbenchErrors naming the graph. */
export async function runSession(
  session: OrtSession,
  graph: string,
  feeds: Record<string, OrtTensor>,
  fetches?: string[],
): Promise<Record<string, OrtTensor>> {
  try {
    return fetches ? await session.run(feeds, fetches) : await session.run(feeds)
  } catch (e) {
    throw new WorkbenchError('runtime', `onnxruntime failed running graph "${graph}": ${(e as Error).message}`, { cause: e })
  }
}

/** The float32 data of an output tensor (copied off the native buffer when needed). */
export function tensorData(t: OrtTensor): Float32Array {
  if (t.type !== 'float32') throw new WorkbenchError('runtime', `expected a float32 tensor, got ${t.type}`)
  return t.data as Float32Array
}
