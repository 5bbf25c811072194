import { parseArgs, type ParseArgsConfig } from 'node:util'
import { WorkbenchError } from '../shared/errors'

export interface CliIo {
  stdout: { write(s: string): unknown; isTTY?: boolean }
  stderr: { write(s: string): unknown; isTTY?: boolean }
}

/** A command's code; its one-line summary is in the command table (commands.ts). */
export interface CliCommand {
  /** printed by `--help` after the flag list: value ranges, defaults, rules between flags */
  details?: string
  /** Returns a JSON-serialisable value to print, or undefined when it printed itself. */
  run(args: string[], io: CliIo): Promise<unknown>
}

type ParseArgsOption = NonNullable<ParseArgsConfig['options']>[string]

/**
 * One flag: node:util parseArgs' option descriptor plus what `--help` prints for it. The option
 * table is the one definition of a command's flags: parseArgs reads type/multiple/default and
 * ignores the rest; describeFlags prints the description and the default.
 */
export type Flag = ParseArgsOption & {
  /** one line: what the flag does and the values it takes */
  description: string
  /** the value's name in `--help` (`--seed S`); `<value>` when not given */
  arg?: string
  /** the default as `--help` shows it, when the command applies one itself (parseArgs' own `default` is shown as is) */
  defaultText?: string
}

export type Options = Record<string, Flag>

/** Thrown by parseFlags for `--help`/`-h`: runCli prints the command's flags and exits 0. */
export class HelpRequested extends Error {
  readonly options: Options
  /** what the usage line names: the command, or `<command> <subcommand>` once a command with subcommands sets it */
  command?: string
  constructor(options: Options) {
    super('help requested')
    this.options = options
  }
}

/** The flags of a command, one a line, as `--help` prints them: name, description, default, in aligned columns. */
export function describeFlags(options: Options): string {
  const rows = Object.entries(options).map(([name, o]) => {
    const shown = o.defaultText ?? (o.default !== undefined ? String(o.default) : undefined)
    const notes = [o.multiple ? 'repeatable' : '', shown !== undefined ? `default: ${shown}` : ''].filter(Boolean)
    return [
      `--${name}${o.type === 'string' ? ` ${o.arg ?? '<value>'}` : ''}`,
      `${o.description}${notes.length ? ` (${notes.join('; ')})` : ''}`,
    ]
  })
  const width = Math.max(0, ...rows.map(([left]) => left.length))
  return rows.map(([left, right]) => `  ${left.padEnd(width)}  ${right}`).join('\n')
}

/** Levenshtein distance, for suggesting the flag an unknown one was meant to be. */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const row = [i]
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1))
    prev = row
  }
  return prev[b.length]
}

/**
 * The known flag nearest to an unknown one, when close enough to be a typo (at most 2 edits and
 * fewer than half its letters), or undefined.
 */
export function nearestFlag(unknown: string, known: string[]): string | undefined {
  const name = unknown.replace(/^-+/, '').split('=')[0]
  let best: { flag: string; d: number } | undefined
  for (const flag of known) {
    const d = editDistance(name, flag)
    if (!best || d < best.d) best = { flag, d }
  }
  return best && best.d <= 2 && best.d < Math.max(name.length, 2) / 2 + 0.5 ? best.flag : undefined
}

function unknownFlagMessage(e: Error, options: Options): string {
  const given = /'(-[^']*)'/.exec(e.message)?.[1] ?? ''
  const known = Object.keys(options)
  const near = nearestFlag(given, known)
  if (near) return `unknown flag ${given}: did you mean --${near}?`
  return `unknown flag ${given}; this command takes ${known.length ? known.map((k) => '--' + k).join(', ') : 'no flags'}`
}

/** parseArgs with unknown flags and bad values turned into a `bad-request` WorkbenchError. */
export function parseFlags<T extends Options>(args: string[], options: T, allowPositionals = false) {
  if (args.includes('--help') || args.includes('-h')) throw new HelpRequested(options)
  try {
    return parseArgs({ args: negativeValues(args, options), options, allowPositionals, strict: true })
  } catch (e) {
    if ((e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
      throw new WorkbenchError('bad-request', unknownFlagMessage(e as Error, options), { cause: e })
    }
    throw new WorkbenchError('bad-request', (e as Error).message, { cause: e })
  }
}

/**
 * `--position -1` as `--position=-1`: parseArgs takes a value that starts with a dash for a flag
 * and refuses it as ambiguous, yet negative numbers are documented values (attribute's
 * --position counts from the end) and out-of-range ones deserve the flag's own range message.
 */
function negativeValues(args: string[], options: Options): string[] {
  const out: string[] = []
  for (let i = 0; i < args.length; i++) {
    const name = args[i].startsWith('--') ? args[i].slice(2) : null
    if (name !== null && options[name]?.type === 'string' && /^-(\d|\.\d)/.test(args[i + 1] ?? '')) {
      out.push(`${args[i]}=${args[i + 1]}`)
      i++
    } else {
      out.push(args[i])
    }
  }
  return out
}

/** Parses "1,2,3" into integers, naming the flag in errors. */
export function parseIntList(value: string, flag: string): number[] {
  const parts = value
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0)
  const ids = parts.map(Number)
  const bad = parts.findIndex((_, i) => !Number.isInteger(ids[i]))
  if (bad >= 0 || parts.length === 0) {
    throw new WorkbenchError('bad-request', `--${flag} must be a comma-separated list of integers, got ${JSON.stringify(value)}`)
  }
  return ids
}
