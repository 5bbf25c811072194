import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { homedir, tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { hubCacheRoot, hubSettings } from '../../../src/main/hub/hub-settings'
import { WorkbenchError } from '../../../src/shared/errors'

describe('hubSettings', () => {
  it('resolves the cache like huggingface_hub: HF_HUB_CACHE > HUGGINGFACE_HUB_CACHE > HF_HOME/hub > XDG > ~/.cache', () => {
    expect(hubCacheRoot({ HF_HUB_CACHE: '/a', HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' })).toBe(resolve('/a'))
    expect(hubCacheRoot({ HUGGINGFACE_HUB_CACHE: '/b', HF_HOME: '/c' })).toBe(resolve('/b'))
    expect(hubCacheRoot({ HF_HOME: '/c', XDG_CACHE_HOME: '/x' })).toBe(resolve('/c/hub'))
    expect(hubCacheRoot({ XDG_CACHE_HOME: '/x' })).toBe(resolve('/x/huggingface/hub'))
    expect(hubCacheRoot({})).toBe(join(homedir(), '.cache', 'huggingface', 'hub'))
  })

  it('reads HF_ENDPOINT, HF_HUB_OFFLINE (1/ON/YES/TRUE) and the proxy variables', () => {
    const s = hubSettings(
      {},
      { HF_ENDPOINT: 'https://mirror.example/', HF_HUB_OFFLINE: 'True', https_proxy: 'http://p:3128', NO_PROXY: 'localhost' },
    )
    expect(s.endpoint).toBe('https://mirror.example')
    expect(s.offline).toBe(true)
    expect(s.proxy).toEqual({ httpProxy: '', httpsProxy: 'http://p:3128', noProxy: 'localhost' })
    expect(hubSettings({}, { HF_HUB_OFFLINE: '0' }).offline).toBe(false)
    expect(hubSettings({}, {}).endpoint).toBe('https://huggingface.co')
  })

  it('explicit options win over the environment', () => {
    const s = hubSettings(
      { endpoint: 'http://127.0.0.1:9', offline: false, token: 'hf_x', cacheDir: 'rel' },
      { HF_ENDPOINT: 'https://e', HF_HUB_OFFLINE: '1', HF_TOKEN: 'hf_env' },
    )
    expect(s).toMatchObject({ endpoint: 'http://127.0.0.1:9', offline: false, token: 'hf_x', cacheDir: resolve('rel') })
  })

  it('takes HF_TOKEN, else the token file written by `hf auth login`', async () => {
    const home = await mkdtemp(join(tmpdir(), 'hf-home-'))
    try {
      expect(hubSettings({}, { HF_HOME: home }).token).toBeUndefined()
      await writeFile(join(home, 'token'), 'hf_fromfile\n')
      expect(hubSettings({}, { HF_HOME: home }).token).toBe('hf_fromfile')
      expect(hubSettings({}, { HF_HOME: home, HF_TOKEN: 'hf_env' }).token).toBe('hf_env')
    } finally {
      await rm(home, { recursive: true })
    }
  })

  it('rejects an endpoint that is not an http(s) URL', () => {
    for (const bad of ['ftp://x', 'not a url']) {
      expect(() => hubSettings({}, { HF_ENDPOINT: bad })).toThrow(WorkbenchError)
    }
  })
})
