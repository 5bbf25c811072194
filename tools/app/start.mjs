// `npm start`: finds Electron's binary (downloading it on first launch, as the electron package
// does), builds the app with electron-vite, then runs Electron on it. When the binary is missing
// and cannot be fetched (no network, a proxy, a blocked host) it says so in one line, with the
// way to get the same UI in a browser, and exits 1 — before spending time on the build.
//
// The electron package keeps its binary in node_modules/electron/dist/<path.txt>; with
// ELECTRON_OVERRIDE_DIST_PATH set it uses that folder instead and never downloads (so neither
// does this). Its install.js downloads through @electron/get (ELECTRON_MIRROR,
// electron_config_cache apply) and unpacks into dist/.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const require = createRequire(import.meta.url)
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../..')
const ELECTRON_DIR = dirname(require.resolve('electron/package.json', { paths: [ROOT] }))
const VERSION = JSON.parse(readFileSync(join(ELECTRON_DIR, 'package.json'), 'utf8')).version
const HINT = '`npm run serve` serves the same UI in a browser'

/** Where the electron package looks for its executable (node_modules/electron/index.js' rule). */
function electronBinary(env = process.env) {
  const pathFile = join(ELECTRON_DIR, 'path.txt')
  const rel = existsSync(pathFile) ? readFileSync(pathFile, 'utf8') : ''
  if (env.ELECTRON_OVERRIDE_DIST_PATH) return { path: join(env.ELECTRON_OVERRIDE_DIST_PATH, rel || 'electron'), override: true }
  return { path: join(ELECTRON_DIR, 'dist', rel || platformPath()), override: false }
}

function platformPath() {
  if (process.platform === 'darwin') return 'Electron.app/Contents/MacOS/Electron'
  return process.platform === 'win32' ? 'electron.exe' : 'electron'
}

/** The first line of the downloader's output that says what went wrong (no stack frames). */
function reason(output) {
  const lines = output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('at ') && !/^Downloading/i.test(l))
  let line = lines.find((l) => /error|fail|ENOTFOUND|ECONN|EAI_AGAIN|status|\b[45]\d\d\b/i.test(l)) ?? lines[0] ?? 'no output'
  line = line.replace(/^TypeError: /, '')
  return line.length > 160 ? line.slice(0, 157) + '…' : line
}

function fail(message) {
  // on a terminal the "downloading…" line is replaced: one line says what happened
  process.stderr.write(`${process.stderr.isTTY ? '\r\x1b[K' : ''}${message}\n`)
  process.exit(1)
}

function ensureBinary() {
  const found = electronBinary()
  if (existsSync(found.path)) return found.path
  if (found.override) {
    fail(`Electron's binary is missing: ELECTRON_OVERRIDE_DIST_PATH points at ${found.path}, which does not exist; ${HINT}.`)
  }
  if (process.stderr.isTTY) process.stderr.write(`Electron ${VERSION} is not installed yet: downloading it (first launch only)…`)
  const r = spawnSync(process.execPath, [join(ELECTRON_DIR, 'install.js')], {
    cwd: ELECTRON_DIR,
    encoding: 'utf8',
    env: { ...process.env, ELECTRON_GET_NO_PROGRESS: '1' },
  })
  const after = electronBinary()
  if (process.stderr.isTTY && r.status === 0) process.stderr.write('\n')
  if (r.status !== 0 || !existsSync(after.path)) {
    fail(
      `Electron ${VERSION}'s binary is missing and could not be downloaded (${reason(`${r.stderr ?? ''}\n${r.stdout ?? ''}${r.error ? `\n${r.error.message}` : ''}`)}); ${HINT}, or run \`npx install-electron\` where the network allows it.`,
    )
  }
  return after.path
}

function build() {
  const bin = join(dirname(require.resolve('electron-vite/package.json', { paths: [ROOT] })), 'bin', 'electron-vite.js')
  const r = spawnSync(process.execPath, [bin, 'build'], { cwd: ROOT, stdio: 'inherit' })
  if (r.status !== 0) process.exit(r.status ?? 1)
}

const binary = ensureBinary()
build()
const child = spawn(binary, [ROOT, ...process.argv.slice(2)], { cwd: ROOT, stdio: 'inherit' })
for (const signal of ['SIGINT', 'SIGTERM']) process.on(signal, () => child.kill(signal))
child.on('close', (code, signal) => process.exit(code ?? (signal ? 1 : 0)))
