import { describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { parseProviderChoice, planProvider } from '../../../src/main/runtime/select-provider'

const code = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    return (e as WorkbenchError).code
  }
  return 'ok'
}

describe('planProvider', () => {
  const linuxNoCuda = [
    { name: 'cpu', bundled: true },
    { name: 'webgpu', bundled: true },
    { name: 'cuda', bundled: false },
  ]
  const linuxCuda = [
    { name: 'cpu', bundled: true },
    { name: 'cuda', bundled: true },
  ]
  it('auto prefers the platform GPU provider and falls back to CPU only with a reason', () => {
    expect(planProvider('auto', linuxCuda, 'linux', 'x64')).toEqual({ tryOrder: ['cuda', 'cpu'] })
    const cpu = planProvider('auto', linuxNoCuda, 'linux', 'x64')
    expect(cpu.tryOrder).toEqual(['cpu'])
    expect(cpu.reason).toMatch(/CUDA/)
    expect(
      planProvider(
        'auto',
        [
          { name: 'cpu', bundled: true },
          { name: 'dml', bundled: true },
        ],
        'win32',
        'x64',
      ).tryOrder,
    ).toEqual(['dml', 'cpu'])
    expect(
      planProvider(
        'auto',
        [
          { name: 'cpu', bundled: true },
          { name: 'coreml', bundled: true },
        ],
        'darwin',
        'arm64',
      ).tryOrder,
    ).toEqual(['coreml', 'cpu'])
    const arm = planProvider('auto', linuxNoCuda, 'linux', 'arm64')
    expect(arm.tryOrder).toEqual(['cpu'])
    expect(arm.reason).toMatch(/no GPU provider/)
  })

  it('an explicit provider must be installed here', () => {
    expect(code(() => planProvider('cuda', linuxNoCuda, 'linux', 'x64'))).toBe('provider-unavailable')
    expect(code(() => planProvider('coreml', linuxNoCuda, 'linux', 'x64'))).toBe('provider-unavailable')
    expect(planProvider('webgpu', linuxNoCuda, 'linux', 'x64')).toEqual({ tryOrder: ['webgpu'] })
    expect(planProvider('cpu', linuxNoCuda, 'linux', 'x64')).toEqual({ tryOrder: ['cpu'], reason: 'cpu was requested' })
  })

  it('parses choices case-insensitively and refuses unknown names', () => {
    expect(parseProviderChoice(undefined)).toBe('auto')
    expect(parseProviderChoice('CUDA')).toBe('cuda')
    expect(parseProviderChoice('directml')).toBe('dml')
    expect(code(() => parseProviderChoice('tpu'))).toBe('bad-request')
  })
})
