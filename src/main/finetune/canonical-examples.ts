import { WorkbenchError } from '../../shared/errors'
import { isPairLoss, type FinetuneLoss } from '../../shared/finetune/finetune-settings'

export { FINETUNE_LOSSES, isPairLoss, type FinetuneLoss } from '../../shared/finetune/finetune-settings'

/**
 * Canonical examples in the JSON-lines format of Hewitt et al., "Model Editing with Canonical
 * Examples" (2024): one example a line, `{"prefix", "suffix"}` for the single-suffix losses
 * (`nll`, `unlikely`) and `{"prefix", "suffix1", "suffix2"}` for the pair losses (`balance`,
 * `good-v-bad`). An example's ids are tokenize(prefix) ++ tokenize(suffix); the loss covers the
 * suffix tokens, each predicted from the logits of the position before it.
 */
export interface CanonicalExample {
  /** 1-based line of the file */
  line: number
  prefix: number[]
  /** one suffix (nll, unlikely) or two (balance, good-v-bad: suffix1, suffix2), each ≥ 1 token */
  suffixes: number[][]
}

export interface ParseExamplesOptions {
  loss: FinetuneLoss
  /** tokenizes text exactly as given (no space added) */
  tokenize: (text: string) => readonly number[]
  nPositions: number
  vocabSize: number
}

/** Bounds that keep parsing and tokenizing untrusted input short. */
export const MAX_EXAMPLES = 256
export const MAX_EXAMPLES_BYTES = 4 * 1024 * 1024
const MAX_LINE_CHARS = 65_536

/** Parses and validates an examples file; every problem is a typed error naming the line. */
export function parseCanonicalExamples(text: string, o: ParseExamplesOptions): CanonicalExample[] {
  if (text.length > MAX_EXAMPLES_BYTES)
    throw new WorkbenchError('bad-request', `the examples file has ${text.length} characters; at most ${MAX_EXAMPLES_BYTES} are read`)
  const fields = isPairLoss(o.loss) ? ['prefix', 'suffix1', 'suffix2'] : ['prefix', 'suffix']
  const out: CanonicalExample[] = []
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/) // a UTF-8 byte-order mark is not part of line 1
  for (let i = 0; i < lines.length; i++) {
    const line = i + 1
    const raw = lines[i].trim()
    if (raw === '') continue
    const fail = (why: string, code: 'bad-request' | 'too-long' = 'bad-request'): never => {
      throw new WorkbenchError(code, `examples line ${line}: ${why}`)
    }
    if (out.length >= MAX_EXAMPLES) fail(`more than ${MAX_EXAMPLES} examples`)
    if (raw.length > MAX_LINE_CHARS) fail(`the line has ${raw.length} characters; at most ${MAX_LINE_CHARS}`)
    let value: unknown
    try {
      value = JSON.parse(raw)
    } catch (e) {
      return fail(`not valid JSON (${(e as Error).message})`)
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail('must be a JSON object')
    const obj = value as Record<string, unknown>
    for (const key of Object.keys(obj)) {
      if (!fields.includes(key)) fail(`unknown field "${key}"; loss ${o.loss} takes ${fields.join(', ')}`)
    }
    for (const f of fields)
      if (typeof obj[f] !== 'string') fail(`field "${f}" is missing or not a string; loss ${o.loss} takes ${fields.join(', ')}`)
    const prefix = [...o.tokenize(obj.prefix as string)]
    if (prefix.length === 0) fail('"prefix" tokenizes to no tokens (the first suffix token needs a prefix to be predicted from)')
    const suffixes = fields.slice(1).map((f) => {
      const ids = [...o.tokenize(obj[f] as string)]
      if (ids.length === 0) fail(`"${f}" tokenizes to no tokens`)
      if (prefix.length + ids.length > o.nPositions) {
        fail(`prefix + ${f} is ${prefix.length} + ${ids.length} tokens, more than the model's ${o.nPositions} positions`, 'too-long')
      }
      return ids
    })
    const bad = [...prefix, ...suffixes.flat()].find((id) => id >= o.vocabSize)
    if (bad !== undefined) fail(`token ${bad} is outside this model's vocabulary [0, ${o.vocabSize})`)
    out.push({ line, prefix, suffixes })
  }
  if (out.length === 0) throw new WorkbenchError('bad-request', 'the examples file has no examples (it is empty or holds only blank lines)')
  return out
}
