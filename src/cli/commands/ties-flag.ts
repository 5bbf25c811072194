import { WorkbenchError } from '../../shared/errors'
import type { TiesMode } from '../../main/senses/tied-tokens'

/** The help line of `--ties` (senses, neighbours, reverse). */
export const TIES_DETAILS =
  '--ties collapse|show: tokens whose embedding rows are bit-identical (e.g. those never seen in training) appear as one labelled entry ("tied": size, a few members; collapse, the default) or each on its own (show).'

/** Parses `--ties collapse|show` (default collapse). */
export function tiesFlag(value: string | undefined): TiesMode {
  const v = value ?? 'collapse'
  if (v !== 'collapse' && v !== 'show') throw new WorkbenchError('bad-request', `--ties must be collapse or show, got ${JSON.stringify(v)}`)
  return v
}
