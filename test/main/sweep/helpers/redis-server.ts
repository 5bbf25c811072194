import { spawn, type ChildProcess } from 'node:child_process'
import { createServer } from 'node:net'
import { checkRedis } from '../../../../src/main/sweep/redis-connection'

/** A real `redis-server` on a free loopback port, started and stopped by a test (no persistence unless `dir` is given). */
export interface TestRedis {
  port: number
  url: string
  /** SIGKILL, as a crash or a lost network would leave it */
  kill(): Promise<void>
  /** starts it again on the same port (and the same append-only file, when it has one) */
  restart(): Promise<void>
  stop(): Promise<void>
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer()
    s.once('error', reject)
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number }
      s.close(() => resolve(port))
    })
  })
}

export async function startRedis(options: { password?: string; dir?: string } = {}): Promise<TestRedis> {
  const port = await freePort()
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '']
  args.push(...(options.dir ? ['--appendonly', 'yes', '--appendfsync', 'always', '--dir', options.dir] : ['--appendonly', 'no']))
  if (options.password) args.push('--requirepass', options.password)
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : ''
  const url = `redis://${auth}127.0.0.1:${port}`
  let proc: ChildProcess
  const launch = async () => {
    proc = spawn('redis-server', args, { stdio: 'ignore' })
    const deadline = Date.now() + 10_000
    for (;;) {
      try {
        await checkRedis(url, 1000)
        return
      } catch (e) {
        if (Date.now() > deadline) throw e
        await new Promise((r) => setTimeout(r, 100))
      }
    }
  }
  const exited = () => new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())))
  await launch()
  return {
    port,
    url,
    async kill() {
      proc.kill('SIGKILL')
      await exited()
    },
    restart: launch,
    async stop() {
      proc.kill('SIGTERM')
      await exited()
    },
  }
}
