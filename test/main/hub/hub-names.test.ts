import { describe, expect, it } from 'vitest'
import { validateRepoFile, validateRepoId, validateRevision } from '../../../src/main/hub/hub-names'
import { WorkbenchError } from '../../../src/shared/errors'

const code = (f: () => unknown) => {
  try {
    f()
    return 'ok'
  } catch (e) {
    return (e as WorkbenchError).code
  }
}

describe('hub names', () => {
  it('accepts real repo ids and rejects path tricks', () => {
    for (const ok of ['stanfordnlp/backpack-gpt2', 'gpt2', 'org/Model_v1.5']) expect(code(() => validateRepoId(ok))).toBe('ok')
    for (const bad of ['', '../x', 'a/b/c', 'a/..', 'a--b/c', '/abs', 'a/b c', 'a\\b'])
      expect(code(() => validateRepoId(bad))).toBe('bad-request')
  })

  it('accepts branches, refs/pr/N and commits; rejects traversal', () => {
    for (const ok of ['main', 'refs/pr/4', 'v1.0', 'a'.repeat(40)]) expect(code(() => validateRevision(ok))).toBe('ok')
    for (const bad of ['', '../main', 'a/../../b', '/main', 'a\\b', 'a//b']) expect(code(() => validateRevision(bad))).toBe('bad-request')
  })

  it('accepts nested repository files; rejects absolute, dot segments and control characters', () => {
    for (const ok of ['config.json', 'onnx/model.onnx']) expect(code(() => validateRepoFile(ok))).toBe('ok')
    for (const bad of ['/etc/passwd', '../x', 'a/./b', 'a\u0000b', 'c:\\x']) expect(code(() => validateRepoFile(bad))).toBe('bad-request')
  })
})
