import type { ErrorInfo } from '../../shared/errors'
import type { PromptToken } from '../../shared/ipc/api-types'

/** What the tokenizer worker is asked (tokenizer-worker.ts); `id` pairs an answer with its request. */
export type TokenizerRequest =
  | { id: number; op: 'prompt-ids'; text: string; maxTokens: number; what?: string }
  | { id: number; op: 'prompt-tokens'; text: string }
  | { id: number; op: 'encode-many'; texts: string[] }

/** The worker's answer: the value of prompt-ids (number[]), prompt-tokens (PromptToken[]) or encode-many (number[][]), or a typed error. */
export type TokenizerResponse =
  { id: number; ok: true; value: number[] | PromptToken[] | number[][] } | { id: number; ok: false; error: ErrorInfo }
