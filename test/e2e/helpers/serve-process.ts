import { spawn, type ChildProcess } from 'node:child_process'
import { createInterface } from 'node:readline'

/**
 * Starts `cli serve` as a real child process (the command users run) and reads the URL it
 * prints as JSON. `stop()` sends SIGINT and resolves with the exit code.
 */
export interface ServeProcess {
  url: string
  port: number
  child: ChildProcess
  stderr: () => string
  stop: () => Promise<number | null>
}

export async function startServeProcess(args: string[], env: Record<string, string>): Promise<ServeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/index.ts', 'serve', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let stderr = ''
  child.stderr!.on('data', (d) => (stderr += String(d)))
  const lines = createInterface({ input: child.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve)
    child.once('exit', (code) => reject(new Error(`serve exited with ${code} before printing its URL: ${stderr}`)))
  })
  const { url, port } = JSON.parse(first) as { url: string; port: number }
  return {
    url,
    port,
    child,
    stderr: () => stderr,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode)
        child.once('exit', (code) => resolve(code))
        child.kill('SIGINT')
      }),
  }
}
