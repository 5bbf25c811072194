import { WorkbenchError } from '../../shared/errors'
import type { BackendInfo } from './ort'

/** Provider names as onnxruntime-node spells them, plus 'auto'. */
export const PROVIDER_CHOICES = ['auto', 'cpu', 'cuda', 'tensorrt', 'dml', 'coreml', 'webgpu'] as const
export type ProviderChoice = (typeof PROVIDER_CHOICES)[number]

export interface ProviderPlan {
  /** providers to try in order; the last one is the fallback for 'auto' */
  tryOrder: string[]
  /** why the first choice is not a GPU provider, when it is not */
  reason?: string
}

export function parseProviderChoice(value: string | undefined): ProviderChoice {
  const v = (value ?? 'auto').toLowerCase()
  if (v === 'directml') return 'dml'
  if (!(PROVIDER_CHOICES as readonly string[]).includes(v)) {
    throw new WorkbenchError('bad-request', `provider "${value}" is unknown; allowed: ${PROVIDER_CHOICES.join(', ')}`)
  }
  return v as ProviderChoice
}

/**
 * Which execution provider to try. 'auto': CUDA on Linux x64 when this build has its libraries,
 * DirectML on Windows, CoreML on macOS, else CPU (WebGPU only when asked for: its kernels cover
 * fewer ops and the CPU path is the reference). An explicit provider must be available here.
 */
export function planProvider(choice: ProviderChoice, backends: BackendInfo[], platform: string, arch: string): ProviderPlan {
  const has = (name: string) => backends.some((b) => b.name === name && b.bundled)
  const names = backends.filter((b) => b.bundled).map((b) => b.name)
  if (choice !== 'auto') {
    if (!has(choice)) {
      const known = backends.find((b) => b.name === choice)
      const why = known
        ? `this onnxruntime-node build lists "${choice}" but its libraries are not installed`
        : `this onnxruntime-node build on ${platform}-${arch} has no "${choice}" provider`
      throw new WorkbenchError('provider-unavailable', `${why}; available: ${names.join(', ')}`)
    }
    return { tryOrder: [choice], ...(choice === 'cpu' ? { reason: 'cpu was requested' } : {}) }
  }
  if (platform === 'linux' && arch === 'x64') {
    if (has('cuda')) return { tryOrder: ['cuda', 'cpu'] }
    return {
      tryOrder: ['cpu'],
      reason: 'auto: the CUDA provider of onnxruntime-node is not installed here (it needs the CUDA download at npm install)',
    }
  }
  if (platform === 'win32' && has('dml')) return { tryOrder: ['dml', 'cpu'] }
  if (platform === 'darwin' && has('coreml')) return { tryOrder: ['coreml', 'cpu'] }
  return {
    tryOrder: ['cpu'],
    reason: `auto: no GPU provider for ${platform}-${arch} in this onnxruntime-node build (WebGPU only when asked for)`,
  }
}
