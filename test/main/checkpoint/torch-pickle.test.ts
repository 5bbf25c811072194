import { describe, expect, it } from 'vitest'
import { ALLOWED_GLOBALS, readTorchPickle } from '../../../src/main/checkpoint/torch-pickle'
import { stateDictPickle } from './helpers/pickle-builder'

describe('readTorchPickle', () => {
  it('returns tensor references with storages shared by key and accepts _metadata via BUILD', () => {
    const pkl = stateDictPickle(
      [
        { name: 'a', storageType: 'HalfStorage', storageKey: '0', storageNumel: 12, offset: 2, shape: [2, 5] },
        { name: 'b', storageType: 'HalfStorage', storageKey: '0', storageNumel: 12, offset: 0, shape: [3], parameter: true },
      ],
      { beforeStop: (p) => p.emptyDict().mark().str('_metadata').emptyDict().setitems().raw(0x62) },
    )
    const { entries, storages } = readTorchPickle(pkl, 'test')
    expect([...entries.keys()]).toEqual(['a', 'b'])
    expect(storages.size).toBe(1)
    const a = entries.get('a')!
    expect(a.storage).toBe(entries.get('b')!.storage)
    expect(a).toMatchObject({ offset: 2, shape: [2, 5], stride: [5, 1] })
    expect(a.storage).toMatchObject({ key: '0', dtype: 'F16', numel: 12 })
  })

  it('allows exactly the state-dict globals', () => {
    expect(ALLOWED_GLOBALS).toContain('torch._utils._rebuild_tensor_v2')
    expect(ALLOWED_GLOBALS).toContain('torch.BoolStorage')
    expect(
      ALLOWED_GLOBALS.every((g) => /^(collections\.OrderedDict|torch\._utils\._rebuild_(tensor_v2|parameter)|torch\.\w+Storage)$/.test(g)),
    ).toBe(true)
  })
})
