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

type Options = NonNullable<ParseArgsConfig['options']>

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

/** The flags of a command, one a line, as `--help` prints them. */
export function describeFlags(options: Options): string {
  return Object.entries(options)
    .map(([name, o]) => `  --${name}${o.type === 'string' ? ' <value>' : ''}${o.multiple ? ' (repeatable)' : ''}`)
    .join('\n')
}

/** parseArgs with unknown flags and bad values turned into a `bad-request` WorkbenchError. */
export function parseFlags<T extends Options>(args: string[], options: T, allowPositionals = false) {
  if (args.includes('--help') || args.includes('-h')) throw new HelpRequested(options)
  try {
    return parseArgs({ args: negativeValues(args, options), options, allowPositionals, strict: true })
  } catch (e) {
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
  const parts = value.split(',').map((s) => s.trim()).filter((s) => s.length > 0)
  const ids = parts.map(Number)
  const bad = parts.findIndex((_, i) => !Number.isInteger(ids[i]))
  if (bad >= 0 || parts.length === 0) {
    throw new WorkbenchError('bad-request', `--${flag} must be a comma-separated list of integers, got ${JSON.stringify(value)}`)
  }
  return ids
}
