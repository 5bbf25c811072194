import { toErrorInfo, WorkbenchError } from '../../shared/errors'
import { appVersion } from '../../main/paths/app-version'
import { startServe } from '../../main/serve/start-serve'
import { defaultWebRoot } from '../../main/serve/web-root'
import { parseFlags, type CliCommand } from '../cli-command'
import { untilStopSignal } from '../stop-signal'

/**
 * `serve --port P [--host 127.0.0.1] [--checkpoint DIR] [--web DIR]`: the workbench UI and API
 * over HTTP. Without --checkpoint it loads the last checkpoint used, else the bundled demo.
 * Prints {"url", "host", "port"} as one JSON line, then runs until SIGINT/SIGTERM (exit 0 within
 * STOP_DEADLINE_MS of the signal, whatever it is doing).
 */
export const serve: CliCommand = {
  async run(args, io) {
    const { values } = parseFlags(args, {
      port: { type: 'string', default: '0', description: 'TCP port; 0 picks a free one' },
      host: { type: 'string', default: '127.0.0.1', description: 'address to listen on' },
      checkpoint: { type: 'string', description: 'checkpoint directory to load', defaultText: 'the last one used, else the bundled demo' },
      web: { type: 'string', description: 'the built renderer to serve', defaultText: 'out/web' },
    })
    const port = Number(values.port)
    if (!Number.isInteger(port) || port < 0 || port > 65535) {
      throw new WorkbenchError(
        'bad-request',
        `--port must be an integer in [0, 65535] (0 picks a free port), got ${JSON.stringify(values.port)}`,
      )
    }
    const { server, workbench } = await startServe({
      webRoot: values.web ?? defaultWebRoot(),
      host: values.host,
      port,
      checkpoint: values.checkpoint,
      openDefault: true,
      version: appVersion(),
      onLoadError: (e) =>
        io.stderr.write(`error[${toErrorInfo(e).code}]: could not load ${values.checkpoint}: ${toErrorInfo(e).message}\n`),
    })
    io.stdout.write(JSON.stringify({ url: server.url, host: server.host, port: server.port }) + '\n')
    await untilStopSignal()
    // whatever it is doing: if closing does not finish in time (a native call in the engine's
    // worker, a store write), leave anyway
    setTimeout(() => process.exit(0), STOP_DEADLINE_MS).unref()
    await server.close()
    await workbench.dispose()
    return undefined
  },
}

const STOP_DEADLINE_MS = 3000
