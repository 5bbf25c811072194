import { describe, expect, it } from 'vitest'
import { formatHash, parseHash, RouteState } from '../../../src/renderer/src/state/route-state.svelte'

describe('URL-hash routes', () => {
  it('parses the shareable links of the issue', () => {
    expect(parseHash('#/senses?word=%20nurse')).toEqual({ view: 'senses', params: { word: ' nurse' } })
    expect(parseHash('#/compare?ids=3,7,9')).toEqual({ view: 'compare', params: { ids: '3,7,9' } })
    expect(parseHash('')).toEqual({ view: 'model', params: {} })
    expect(parseHash('#/nonsense?x=1').view).toBe('model')
  })

  it('formats so the leading space survives a round trip', () => {
    const hash = formatHash({ view: 'senses', params: { word: ' nurse' } })
    expect(hash).toBe('#/senses?word=%20nurse')
    expect(parseHash(hash).params.word).toBe(' nurse')
    const text = 'a & b = c? #1'
    expect(parseHash(formatHash({ view: 'prompt', params: { text } })).params.text).toBe(text)
  })

  it('follows hashchange and writes go()/update() into the URL', async () => {
    window.location.hash = '#/senses?word=%20nurse'
    const route = new RouteState(window)
    expect(route.view).toBe('senses')
    expect(route.params.word).toBe(' nurse')
    route.go('compare', { ids: '3,7' })
    expect(window.location.hash).toBe('#/compare?ids=3%2C7')
    route.update({ ids: '3,7,9' })
    expect(window.location.hash).toBe('#/compare?ids=3%2C7%2C9')
    window.location.hash = '#/prompt?text=hi'
    await new Promise((r) => setTimeout(r, 0))
    expect(route.view).toBe('prompt')
    expect(route.params.text).toBe('hi')
  })
})
