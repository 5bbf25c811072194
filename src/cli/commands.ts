import type { CliCommand } from './cli-command'
import { download } from './commands/download'
import { serve } from './commands/serve'

/**
 * Every CLI command, by name. Each domain adds its own line here and keeps its code in
 * src/cli/commands/<name>.ts.
 */
export const COMMANDS: Record<string, CliCommand> = {
  download: download,
  serve: serve,
}
