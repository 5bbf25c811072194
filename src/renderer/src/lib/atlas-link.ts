import { formatHash } from '../state/route-state.svelte'

/** The URL of a token's (or word's) own sense atlas, e.g. `#/senses?word=%20nurse`. */
export function atlasHref(word: string): string {
  return formatHash({ view: 'senses', params: { word } })
}
