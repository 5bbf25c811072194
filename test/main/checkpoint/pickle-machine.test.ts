import { describe, expect, it } from 'vitest'
import { WorkbenchError } from '../../../src/shared/errors'
import { PyDict, PyTuple, unpickle } from '../../../src/main/checkpoint/pickle-machine'
import { PickleBuilder } from './helpers/pickle-builder'

const refuseAll = {
  findGlobal(module: string, name: string): never {
    throw new WorkbenchError('checkpoint-forbidden', `${module}.${name}`)
  },
  where: 'test',
}

function errorOf(fn: () => unknown): WorkbenchError {
  try {
    fn()
  } catch (e) {
    if (e instanceof WorkbenchError) return e
    throw e
  }
  throw new Error('expected a WorkbenchError')
}

describe('unpickle (restricted opcode interpreter)', () => {
  it('reads the values torch headers use: ints, longs, floats, strings, tuples, lists, dicts, memo', () => {
    const p = new PickleBuilder()
      .proto(2)
      .emptyDict()
      .binput(0)
      .mark()
      .str('neg')
      .long1(-5n & 0xffn, 1) // LONG1 0xfb → -5
      .str('big')
      .long1(0x1950a86a20f9469cfc6cn, 10)
      .str('f')
      .raw(0x47, 0x3f, 0xf8, 0, 0, 0, 0, 0, 0) // BINFLOAT 1.5 (big-endian)
      .str('t')
      .intTuple([1, 300, 70000])
      .str('self')
      .binget(0)
      .setitems()
      .stop()
      .bytes()
    const { value, end } = unpickle(p, refuseAll)
    expect(end).toBe(p.length)
    expect(value).toBeInstanceOf(PyDict)
    const m = (value as PyDict).map
    expect(m.get('neg')).toBe(-5)
    expect(m.get('big')).toBe(0x1950a86a20f9469cfc6cn)
    expect(m.get('f')).toBe(1.5)
    expect((m.get('t') as PyTuple).items).toEqual([1, 300, 70000])
    expect(m.get('self')).toBe(value)
  })

  it('refuses globals named through GLOBAL, STACK_GLOBAL (protocol 4) and INST before anything else happens', () => {
    const viaGlobal = new PickleBuilder().proto(2).global('os', 'system').str('touch x').raw(0x85).reduce().stop().bytes()
    expect(errorOf(() => unpickle(viaGlobal, refuseAll)).code).toBe('checkpoint-forbidden')
    const enc = new TextEncoder()
    const short = (s: string): number[] => [0x8c, s.length, ...enc.encode(s)]
    const viaStack = Uint8Array.from([0x80, 4, ...short('posix'), ...short('system'), 0x93, ...short('id'), 0x85, 0x52, 0x2e])
    expect(errorOf(() => unpickle(viaStack, refuseAll)).message).toContain('posix.system')
    const viaInst = Uint8Array.from([0x80, 2, 0x28, 0x69, ...enc.encode('subprocess\nPopen\n'), 0x2e])
    expect(errorOf(() => unpickle(viaInst, refuseAll)).message).toContain('subprocess.Popen')
  })

  it.each([
    ['empty input', []],
    ['no STOP', [0x80, 2, 0x4b, 1]],
    ['unknown opcode', [0x80, 2, 0xff, 0x2e]],
    ['NEWOBJ', [0x80, 2, 0x29, 0x29, 0x81, 0x2e]],
    ['stack underflow', [0x80, 2, 0x52, 0x2e]],
    ['BINGET of a missing memo slot', [0x80, 2, 0x68, 9, 0x2e]],
    ['string longer than the data', [0x80, 2, 0x58, 0xff, 0xff, 0xff, 0x7f, 0x2e]],
    ['REDUCE on a non-callable', [0x80, 2, 0x4b, 1, 0x29, 0x52, 0x2e]],
    ['two items at STOP', [0x80, 2, 0x4b, 1, 0x4b, 2, 0x2e]],
    ['invalid UTF-8', [0x80, 2, 0x58, 1, 0, 0, 0, 0xff, 0x2e]],
    ['BUILD on a tuple', [0x80, 2, 0x29, 0x7d, 0x62, 0x2e]],
  ])('gives checkpoint-format for %s', (_label, bytes) => {
    expect(errorOf(() => unpickle(Uint8Array.from(bytes), refuseAll)).code).toBe('checkpoint-format')
  })
})
