import { afterEach, describe, expect, it, vi } from 'vitest'
import { createApiClient } from '../../../src/renderer/src/lib/api-client'
import type { WorkbenchBridge } from '../../../src/shared/ipc/api'
import { stringifyJson } from '../../../src/shared/ipc/typed-array-json'

afterEach(() => {
  vi.unstubAllGlobals()
  delete (window as { workbench?: unknown }).workbench
  sessionStorage.clear()
})

describe('createApiClient', () => {
  it('uses the preload bridge in Electron and forwards its events', async () => {
    let push: ((e: never) => void) | undefined
    const bridge: WorkbenchBridge = {
      invoke: vi.fn(async (m: string) => ({ ok: true as const, value: { m } })),
      onEvent: (l) => {
        push = l as never
        return () => undefined
      },
    }
    ;(window as { workbench?: WorkbenchBridge }).workbench = bridge
    const client = createApiClient(window)
    expect(client.transport).toBe('electron')
    expect(await client.call('tokens.encode', { text: 'x' })).toEqual({ ok: true, value: { m: 'tokens.encode' } })
    expect(bridge.invoke).toHaveBeenCalledWith('tokens.encode', { text: 'x' })
    const seen: unknown[] = []
    client.on('model.progressed', (p) => seen.push(p))
    push!({ name: 'model.progressed', payload: { runId: null, phase: 'convert', done: 1, total: 2 } } as never)
    push!({ name: 'run.progressed', payload: {} } as never)
    expect(seen).toEqual([{ runId: null, phase: 'convert', done: 1, total: 2 }])
  })

  it('uses HTTP with the token from ?token= (kept for reloads) in a browser', async () => {
    const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.endsWith('/api/events')) return new Response(null, { status: 401 })
      return new Response(JSON.stringify({ ok: true, value: { url, auth: (init!.headers as Record<string, string>).Authorization } }))
    })
    vi.stubGlobal('fetch', fetchMock)
    history.replaceState(null, '', '/?token=abc123#/model')
    const client = createApiClient(window)
    expect(client.transport).toBe('http')
    const res = await client.call('app.info', {})
    expect(res).toEqual({ ok: true, value: { url: './api/app.info', auth: 'Bearer abc123' } })
    expect(sessionStorage.getItem('backpack-token')).toBe('abc123')
  })

  it('HTTP: Float32Array values in an answer (serve writes them as tagged base64) come back as Float32Array', async () => {
    const logits = new Float32Array([1.5, -2, NaN])
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url.endsWith('/api/events')
          ? new Response(null, { status: 401 })
          : new Response(stringifyJson({ ok: true, value: { ids: [1], logits } })),
      ),
    )
    history.replaceState(null, '', '/?token=abc123')
    const res = await createApiClient(window).call('predict.forward', { ids: [1] })
    expect(res.ok).toBe(true)
    if (res.ok) {
      expect(res.value.logits).toBeInstanceOf(Float32Array)
      expect(Array.from(res.value.logits)).toEqual([1.5, -2, NaN])
    }
  })

  it('HTTP: tells onConnected listeners when the event stream opens, then forwards its events', async () => {
    const encoder = new TextEncoder()
    let send: ((text: string) => void) | undefined
    const fetchMock = vi.fn(async (url: string) => {
      if (url.endsWith('/api/events')) {
        const body = new ReadableStream<Uint8Array>({ start: (c) => void (send = (t) => c.enqueue(encoder.encode(t))) })
        return new Response(body, { status: 200, headers: { 'Content-Type': 'text/event-stream' } })
      }
      return new Response(JSON.stringify({ ok: true, value: null }))
    })
    vi.stubGlobal('fetch', fetchMock)
    history.replaceState(null, '', '/?token=abc123')
    const client = createApiClient(window)
    const order: string[] = []
    await new Promise<void>((resolve) => client.onConnected(() => (order.push('connected'), resolve())))
    client.on('model.progressed', () => order.push('event'))
    send!('data: {"name":"model.progressed","payload":{"runId":null,"phase":"convert","done":1,"total":2}}\n\n')
    await vi.waitFor(() => expect(order).toEqual(['connected', 'event']))
  })

  it('turns a dead server into a typed error, not an exception', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))),
    )
    const client = createApiClient(window)
    const res = await client.call('app.info', {})
    expect(res.ok).toBe(false)
    if (!res.ok) expect(res.error.code).toBe('internal')
  })
})
