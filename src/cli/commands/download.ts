import { WorkbenchError } from '../../shared/errors'
import { downloadCheckpoint, type HubDownloadProgress } from '../../main/hub/download-checkpoint'
import { formatProgress } from '../../main/hub/format-progress'
import { parseFlags, type CliCommand, type CliIo } from '../cli-command'

/**
 * `download --repo owner/name [--revision main] [--endpoint URL] [--cache-dir DIR] [--files a,b]
 * [--offline] [--refresh]`: fetches a checkpoint into the Hugging Face cache and prints
 * `{ snapshot, commit, files, … }`; the snapshot directory is ready for `--checkpoint`.
 * Progress goes to stderr: a bar on a terminal, JSON lines otherwise. Ctrl-C keeps the partial
 * file so the next run resumes.
 */
function progressReporter(stderr: CliIo['stderr']) {
  let drawn = false
  return {
    update(e: HubDownloadProgress) {
      if (stderr.isTTY) {
        stderr.write(`\r\x1b[2K${formatProgress(e)}`)
        drawn = true
      } else {
        stderr.write(JSON.stringify({ event: 'hub.progress', ...e, rate: Math.round(e.rate), etaSeconds: e.etaSeconds === null ? null : Math.round(e.etaSeconds) }) + '\n')
      }
    },
    finish() {
      if (drawn) stderr.write('\n')
    },
  }
}

export const download: CliCommand = {
  async run(args, io) {
    const { values } = parseFlags(args, {
      repo: { type: 'string' },
      revision: { type: 'string' },
      endpoint: { type: 'string' },
      'cache-dir': { type: 'string' },
      files: { type: 'string' },
      offline: { type: 'boolean' },
      refresh: { type: 'boolean' },
    })
    if (!values.repo) throw new WorkbenchError('bad-request', '--repo is required, e.g. --repo stanfordnlp/backpack-gpt2')
    const files = values.files?.split(',').map((f) => f.trim()).filter((f) => f.length > 0)
    if (values.files !== undefined && files?.length === 0) throw new WorkbenchError('bad-request', '--files must be a comma-separated list of repository paths, e.g. config.json,model.safetensors')
    const controller = new AbortController()
    const onSigint = () => controller.abort()
    process.once('SIGINT', onSigint)
    const reporter = progressReporter(io.stderr)
    try {
      return await downloadCheckpoint({
        repo: values.repo,
        revision: values.revision,
        endpoint: values.endpoint,
        cacheDir: values['cache-dir'],
        files,
        offline: values.offline ? true : undefined,
        refresh: values.refresh,
        signal: controller.signal,
        onProgress: (e) => reporter.update(e),
      })
    } finally {
      process.off('SIGINT', onSigint)
      reporter.finish()
    }
  },
}
