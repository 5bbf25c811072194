import type { CliCommand } from './cli-command'
import { convert } from './commands/convert'
import { download } from './commands/download'
import { experiment } from './commands/experiment'
import { forward } from './commands/forward'
import { info } from './commands/info'
import { serve } from './commands/serve'

/**
 * Every CLI command, by name. Each domain adds its own line here and keeps its code in
 * src/cli/commands/<name>.ts.
 */
export const COMMANDS: Record<string, CliCommand> = {
  convert: convert,
  download: download,
  experiment: experiment,
  forward: forward,
  info: info,
  serve: serve,
}
