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
        stderr.write(
          JSON.stringify({
            event: 'hub.progress',
            ...e,
            rate: Math.round(e.rate),
            etaSeconds: e.etaSeconds === null ? null : Math.round(e.etaSeconds),
          }) + '\n',
        )
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
      repo: { type: 'string', description: 'the Hub repository, owner/name (e.g. stanfordnlp/backpack-gpt2)' },
      revision: { type: 'string', description: 'branch, tag or commit', defaultText: 'main' },
      endpoint: { type: 'string', description: 'the Hub URL', defaultText: 'HF_ENDPOINT, else https://huggingface.co' },
      'cache-dir': {
        type: 'string',
        description: 'the Hugging Face cache to download into',
        defaultText: 'HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub',
      },
      files: { type: 'string', description: "comma-separated file names to fetch instead of the checkpoint's own list" },
      offline: { type: 'boolean', description: 'no network: resolve the snapshot from the cache only' },
      refresh: { type: 'boolean', description: 'ask the Hub for the revision again even when the cache has it' },
    })
    if (!values.repo) throw new WorkbenchError('bad-request', '--repo is required, e.g. --repo stanfordnlp/backpack-gpt2')
    const files = values.files
      ?.split(',')
      .map((f) => f.trim())
      .filter((f) => f.length > 0)
    if (values.files !== undefined && files?.length === 0)
      throw new WorkbenchError(
        'bad-request',
        '--files must be a comma-separated list of repository paths, e.g. config.json,model.safetensors',
      )
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
