/**
 * Child process for the concurrent-saves test: runs the CLI's `experiment save` path `count`
 * times in a row, in process (each call opens the log, saves, and closes it, as a separate CLI
 * invocation does, without paying a process start per save). Prints the CLI's JSON
 * (`{"id": N}`) or its `error[code]` line for every call, one a line.
 * Usage: cli-save-loop <db path> <count> <label> <edits file>
 */
import { runCli } from '../../../../src/cli/run-cli'

const [path, countArg, label, editsFile] = process.argv.slice(2)
let failed = 0
for (let i = 0; i < Number(countArg); i++) {
  let out = ''
  const sink = { write: (s: string) => (out += s) }
  const code = await runCli(['experiment', 'save', '--db', path, '--name', `${label} ${i}`, '--tag', label, '--edits', editsFile], {
    stdout: sink,
    stderr: sink,
  })
  if (code !== 0) failed++
  process.stdout.write(`${code === 0 ? JSON.stringify(JSON.parse(out)) : out.trim()}\n`)
}
process.exitCode = failed === 0 ? 0 : 1
