import type { CliCommand } from './cli-command'
import { attribute } from './commands/attribute'
import { convert } from './commands/convert'
import { download } from './commands/download'
import { experiment } from './commands/experiment'
import { forward } from './commands/forward'
import { generate } from './commands/generate'
import { info } from './commands/info'
import { neighbours } from './commands/neighbours'
import { predict } from './commands/predict'
import { reverse } from './commands/reverse'
import { senses } from './commands/senses'
import { serve } from './commands/serve'
import { suite } from './commands/suite'
import { sweep } from './commands/sweep'
import { worker } from './commands/worker'

/**
 * Every CLI command, by name. Each domain adds its own line here and keeps its code in
 * src/cli/commands/<name>.ts.
 */
export const COMMANDS: Record<string, CliCommand> = {
  attribute: attribute,
  convert: convert,
  download: download,
  experiment: experiment,
  forward: forward,
  generate: generate,
  info: info,
  neighbours: neighbours,
  predict: predict,
  reverse: reverse,
  senses: senses,
  serve: serve,
  suite: suite,
  sweep: sweep,
  worker: worker,
}
