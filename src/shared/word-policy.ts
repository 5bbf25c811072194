/**
 * How a multi-token word becomes sense vectors (backpack-spec.md §4.1–4.2): the **first** token's
 * senses, or the **mean** of its tokens' senses. One list for the CLI's `senses --policy`, the
 * `senses.lookup` request and the Senses view's selector.
 */
export const WORD_POLICIES = ['first', 'mean'] as const
export type WordPolicy = (typeof WORD_POLICIES)[number]
