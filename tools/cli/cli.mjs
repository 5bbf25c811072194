// `npm run cli -- …`: runs the built CLI (out/cli/index.mjs), rebuilding it first when a source
// is newer than the build, so a checkout or an edit never runs stale code.
import { join } from 'node:path'
import { pathToFileURL } from 'node:url'
import { ensureCli, OUT_DIR } from './build-cli.mjs'

const built = await ensureCli()
if (built && process.stderr.isTTY) process.stderr.write(`rebuilt out/cli (${built.reason}) in ${built.ms} ms\n`)
await import(pathToFileURL(join(OUT_DIR, 'index.mjs')).href)
