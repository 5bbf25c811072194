import { readdirSync } from 'node:fs'
import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import svelte from 'eslint-plugin-svelte'
import globals from 'globals'

/**
 * The layers of src/main, lowest first: a folder may import its own layer and those below, never
 * one above (docs/design.md §2). The native libraries each have one doorway.
 */
const LAYERS = [
  ['math', 'fs', 'paths', 'npy'],
  ['checkpoint', 'tokenizer', 'hub'],
  ['runtime'],
  ['senses'],
  ['interventions'],
  ['prediction'],
  ['generation', 'evaluation'],
  ['suites', 'finetune', 'parity'],
  ['session'],
  ['store', 'runs', 'sweep'],
  ['workbench'],
  ['queue-worker', 'serve', 'ipc', 'shell'],
]
/**
 * The one import that points up, by design: the engine worker hosts sense fine-tuning (training
 * runs where the ONNX sessions are), so its method table names the fine-tuning job's entry.
 */
const UPWARD = { 'src/main/runtime/engine-methods.ts': ['finetune'] }
const folderPatterns = (folders) => folders.flatMap((f) => [`**/main/${f}`, `**/main/${f}/**`, `../${f}`, `../${f}/**`])
// a folder of src/main that no layer names would escape the rule: name it in LAYERS
const unplaced = readdirSync('src/main', { withFileTypes: true }).filter((e) => e.isDirectory() && !LAYERS.flat().includes(e.name))
if (unplaced.length) throw new Error(`eslint.config.js: place src/main/${unplaced[0].name} in LAYERS`)
const DOORWAYS = [
  {
    name: 'electron',
    only: ['src/main/index.ts', 'src/main/window.ts', 'src/main/shell/**', 'src/main/ipc/**', 'src/preload/**'],
    message: 'Only the Electron shell (src/main/index.ts, window.ts, shell/*, ipc/*, preload) imports electron.',
  },
  {
    name: 'onnxruntime-node',
    only: ['src/main/runtime/ort.ts'],
    message: 'onnxruntime-node is imported only by src/main/runtime/ort.ts (the engine worker loads it).',
  },
  { name: 'sqlite3', only: ['src/main/store/database.ts'], message: 'sqlite3 is imported only by src/main/store/database.ts.' },
]
const matches = (file, glob) => (glob.endsWith('/**') ? file.startsWith(glob.slice(0, -2)) : file === glob)

/** One no-restricted-imports block per (layer, doorway exception) so each file gets all its limits. */
function layerRules() {
  const blocks = []
  const restricted = (file) => DOORWAYS.filter((d) => !d.only.some((g) => matches(file, g))).map(({ name, message }) => ({ name, message }))
  const exceptions = [...new Set(DOORWAYS.flatMap((d) => d.only))]
  const push = (files, ignores, above, sample) => {
    const patterns = []
    if (above && above.length)
      patterns.push({
        group: folderPatterns(above),
        message: 'Layers point down: this folder may not import a higher layer of src/main (eslint.config.js LAYERS).',
      })
    if (above === null)
      patterns.push({
        group: ['**/main/**', '**/cli/**', '**/renderer/**', '../main/**'],
        message: 'src/shared and the renderer import only src/shared (and their own files).',
      })
    blocks.push({
      files,
      ...(ignores.length ? { ignores } : {}),
      rules: { 'no-restricted-imports': ['error', { paths: restricted(sample), patterns }] },
    })
  }
  LAYERS.forEach((folders, i) => {
    const above = LAYERS.slice(i + 1).flat()
    const files = folders.map((f) => `src/main/${f}/**/*.ts`)
    const special = [...new Set([...exceptions, ...Object.keys(UPWARD)])]
    const own = special.filter((g) => folders.some((f) => g.startsWith(`src/main/${f}/`)))
    push(files, own, above, files[0].replace('**/*.ts', 'x.ts'))
    for (const g of own)
      push(
        [g.endsWith('/**') ? `${g}/*.ts` : g],
        [],
        above.filter((f) => !(UPWARD[g] ?? []).includes(f)),
        g,
      )
  })
  push(['src/main/*.ts'], ['src/main/index.ts', 'src/main/window.ts'], [], 'src/main/x.ts')
  push(['src/main/index.ts', 'src/main/window.ts'], [], [], 'src/main/index.ts')
  push(['src/cli/**/*.ts'], [], [], 'src/cli/x.ts')
  push(['src/preload/**/*.ts'], [], null, 'src/preload/index.ts')
  push(['src/shared/**/*.ts'], [], null, 'src/shared/x.ts')
  push(['src/renderer/**/*.ts', 'src/renderer/**/*.svelte'], [], null, 'src/renderer/x.ts')
  return blocks
}

export default tseslint.config(
  { ignores: ['node_modules/**', 'out/**', 'dist/**', 'release/**', 'tools/.venv/**', 'test/fixtures/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  ...svelte.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node, ...globals.browser } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-explicit-any': 'error',
    },
  },
  {
    files: ['**/*.svelte', '**/*.svelte.ts'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.svelte'] } },
  },
  ...layerRules(),
)
