// Builds the command-line interface into out/cli: src/cli/index.ts → out/cli/index.mjs, and the
// worker threads beside it — the engine's (src/main/runtime/engine-worker.ts → engine-worker.mjs)
// and the parity check's (src/main/parity/reference-worker.ts → reference-worker.mjs), which
// open-engine.ts and run-reference.ts find next to the chunk that starts them — with shared code
// in chunks.
// onnxruntime-node and sqlite3 stay external (native N-API modules, loaded from node_modules only
// by the commands that use them). Plain JavaScript so that `npm install` (the `prepare` script)
// and the `npm run cli` launcher can run it before anything is compiled.
//
//   node tools/cli/build-cli.mjs            build now
//   node tools/cli/build-cli.mjs --if-stale build only when a source is newer than the last build
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { dirname, join, relative, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const OUT_DIR = join(ROOT, 'out', 'cli')
const INFO = join(OUT_DIR, 'build-info.json')
const ENTRIES = {
  index: 'src/cli/index.ts',
  'engine-worker': 'src/main/runtime/engine-worker.ts',
  // the parity self-check's float64 reference runs in a worker of its own (serve's model.selfCheck)
  'reference-worker': 'src/main/parity/reference-worker.ts',
  // serve tokenizes user text in a worker of its own (src/main/tokenizer/tokenizer-thread.ts)
  'tokenizer-worker': 'src/main/tokenizer/tokenizer-worker.ts',
}
/** besides the bundled sources: a change to these rebuilds too */
const ALWAYS = ['package.json', 'package-lock.json', 'tools/cli/build-cli.mjs']
const EXTERNAL = ['onnxruntime-node', 'sqlite3', 'electron']
// Bundled CommonJS dependencies call require() for Node's built-ins; an ES module has none.
const BANNER = "import { createRequire as __bwCreateRequire } from 'node:module'; const require = __bwCreateRequire(import.meta.url);"

/** Why the built CLI must be (re)built, or null when it is up to date with its sources. */
export function staleReason() {
  let info
  try {
    info = JSON.parse(readFileSync(INFO, 'utf8'))
  } catch {
    return 'not built yet'
  }
  const builtAt = statSync(INFO).mtimeMs
  for (const name of Object.keys(ENTRIES)) if (!existsSync(join(OUT_DIR, `${name}.mjs`))) return `out/cli/${name}.mjs is missing`
  for (const rel of [...ALWAYS, ...info.inputs]) {
    let mtime
    try {
      mtime = statSync(join(ROOT, rel)).mtimeMs
    } catch {
      return `${rel} is gone`
    }
    if (mtime > builtAt) return `${rel} changed`
  }
  return null
}

/**
 * Bundles the CLI. Files are written under temporary names and renamed into place, entries last,
 * so a CLI started during a rebuild loads either the old build or the new one.
 */
export async function buildCli() {
  const esbuild = await import('esbuild')
  const t0 = performance.now()
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: ENTRIES,
    outdir: OUT_DIR,
    outExtension: { '.js': '.mjs' },
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    external: EXTERNAL,
    banner: { js: BANNER },
    sourcemap: 'linked',
    metafile: true,
    write: false,
    logLevel: 'warning',
  })
  mkdirSync(OUT_DIR, { recursive: true })
  const entryFiles = new Set(Object.keys(ENTRIES).map((n) => join(OUT_DIR, `${n}.mjs`)))
  const files = [...result.outputFiles].sort((a, b) => Number(entryFiles.has(a.path)) - Number(entryFiles.has(b.path)))
  for (const f of files) {
    const tmp = `${f.path}.${process.pid}.tmp`
    writeFileSync(tmp, f.contents, { mode: entryFiles.has(f.path) ? 0o755 : 0o644 })
    renameSync(tmp, f.path)
  }
  // chunks of earlier builds (their names carry a content hash)
  const keep = new Set(files.map((f) => f.path))
  for (const name of readdirSync(OUT_DIR)) {
    const path = join(OUT_DIR, name)
    if (!keep.has(path) && /\.mjs(\.map)?$/.test(name)) rmSync(path, { force: true })
  }
  const inputs = Object.keys(result.metafile.inputs)
    .filter((p) => !p.includes('node_modules/'))
    .map((p) => relative(ROOT, resolve(ROOT, p)))
    .sort()
  writeFileSync(INFO, JSON.stringify({ entries: ENTRIES, external: EXTERNAL, inputs }, null, 1) + '\n')
  return { ms: Math.round(performance.now() - t0), files: files.length, inputs: inputs.length }
}

/** Builds when stale (or always); returns what it did. */
export async function ensureCli({ always = false } = {}) {
  const reason = always ? 'requested' : staleReason()
  if (!reason) return null
  return { reason, ...(await buildCli()) }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const built = await ensureCli({ always: !process.argv.includes('--if-stale') })
  if (built) process.stderr.write(`built out/cli (${built.reason}): ${built.files} files from ${built.inputs} sources in ${built.ms} ms\n`)
}
