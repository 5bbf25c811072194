import { describe, expect, it } from 'vitest'
import { blobVerifier, verificationFor } from '../../../src/main/hub/blob-verifier'

// Known values: `printf 'hello\n' | git hash-object --stdin` and `printf 'hello\n' | sha256sum`.
const HELLO = Buffer.from('hello\n')
const HELLO_GIT = 'ce013625030ba8dba906f756967f9e9ca394464a'
const HELLO_SHA256 = '5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03'

describe('blobVerifier', () => {
  it('picks the scheme from the ETag shape', () => {
    expect(verificationFor(HELLO_SHA256)).toBe('sha256')
    expect(verificationFor(HELLO_GIT)).toBe('git-sha1')
    expect(verificationFor('xet-abc')).toBe('size-only')
  })

  it('matches a git blob id computed over "blob <len>\\0" + bytes, fed in pieces', () => {
    const v = blobVerifier(HELLO_GIT, HELLO.length)
    v.update(HELLO.subarray(0, 2))
    v.update(HELLO.subarray(2))
    expect(v.matches(HELLO.length)).toBe(true)
  })

  it('matches sha256 and rejects one flipped byte or a wrong length', () => {
    const good = blobVerifier(HELLO_SHA256, HELLO.length)
    good.update(HELLO)
    expect(good.matches(HELLO.length)).toBe(true)
    const bad = blobVerifier(HELLO_SHA256, HELLO.length)
    bad.update(Buffer.from('hellp\n'))
    expect(bad.matches(HELLO.length)).toBe(false)
    expect(blobVerifier(HELLO_SHA256, HELLO.length).matches(HELLO.length - 1)).toBe(false)
  })
})
