import { toErrorInfo, WorkbenchError } from '../shared/errors'
import { COMMANDS } from './commands'
import { describeFlags, HelpRequested, type CliCommand, type CliIo } from './cli-command'

/**
 * Runs one CLI invocation: `<command> [subcommand] [--flags]`. Commands print JSON to stdout;
 * errors go to stderr as one line `error[<code>]: <message>` with exit code 1 (2 for usage).
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv
  if (!name || name === '--help' || name === 'help') {
    io.stdout.write(usage())
    return name ? 0 : 2
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined
  if (!entry) {
    io.stderr.write(`error[bad-request]: unknown command "${name}"; commands: ${Object.keys(COMMANDS).sort().join(', ')}\n`)
    return 2
  }
  let command: CliCommand | undefined
  try {
    command = await entry.load()
    const out = await command.run(rest, io)
    if (out !== undefined) io.stdout.write(JSON.stringify(out, null, 2) + '\n')
    return 0
  } catch (e) {
    if (e instanceof HelpRequested) {
      io.stdout.write(
        `usage: npm run -s cli -- ${e.command ?? name} [options]\n${entry.summary}\n\noptions:\n${describeFlags(e.options)}\n${command?.details ? `\n${command.details}\n` : ''}`,
      )
      return 0
    }
    const info = toErrorInfo(e)
    io.stderr.write(`error[${info.code}]: ${info.message.replace(/\s*\n\s*/g, ' ')}\n`)
    return e instanceof WorkbenchError && e.code === 'bad-request' ? 2 : 1
  }
}

function usage(): string {
  const lines = Object.entries(COMMANDS)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`)
  return `usage: npm run -s cli -- <command> [options]\n\ncommands:\n${lines.join('\n')}\n`
}
