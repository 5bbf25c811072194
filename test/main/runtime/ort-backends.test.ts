import { describe, expect, it } from 'vitest'
import { markInstalledProviders, ortBackends } from '../../../src/main/runtime/ort'

describe('ortBackends', () => {
  it('counts CUDA and TensorRT as installed when their provider library sits next to the binding', () => {
    const listed = [
      { name: 'cpu', bundled: true },
      { name: 'cuda', bundled: false },
      { name: 'tensorrt', bundled: false },
    ]
    expect(
      markInstalledProviders(listed, [
        'onnxruntime_binding.node',
        'libonnxruntime_providers_cuda.so',
        'libonnxruntime_providers_shared.so',
      ]),
    ).toEqual([
      { name: 'cpu', bundled: true },
      { name: 'cuda', bundled: true },
      { name: 'tensorrt', bundled: false },
    ])
    expect(markInstalledProviders(listed, ['onnxruntime_providers_tensorrt.dll']).find((b) => b.name === 'tensorrt')?.bundled).toBe(true)
    expect(markInstalledProviders(listed, ['libonnxruntime_providers_cudax.so']).find((b) => b.name === 'cuda')?.bundled).toBe(false)
  })

  it('reports what this machine really has: cpu always, cuda only with its library', () => {
    const backends = ortBackends()
    expect(backends.find((b) => b.name === 'cpu')?.bundled).toBe(true)
    expect(backends.map((b) => b.name)).toContain('cuda')
  })
})
