import { resolve } from 'node:path'
import { defineConfig } from 'electron-vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'
import { DEV_SERVER_CSP } from './src/shared/renderer-csp'

// Three bundles: main (ESM, native deps external), preload (CommonJS: a sandboxed preload cannot be
// an ES module, and everything but electron is bundled in), renderer (the Svelte app). The built
// renderer gets its CSP from the app:// protocol (src/main/ipc/app-protocol.ts); the dev server
// sends the dev variant as a header.
export default defineConfig({
  main: {
    // each worker thread is its own entry: open-engine.ts starts out/main/engine-worker.js, the parity
    // check's run-reference.ts starts out/main/reference-worker.js, tokenizer-thread.ts starts
    // out/main/tokenizer-worker.js
    build: {
      rolldownOptions: {
        input: {
          index: resolve('src/main/index.ts'),
          'engine-worker': resolve('src/main/runtime/engine-worker.ts'),
          'reference-worker': resolve('src/main/parity/reference-worker.ts'),
          'tokenizer-worker': resolve('src/main/tokenizer/tokenizer-worker.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      externalizeDeps: false,
      rolldownOptions: {
        input: { index: resolve('src/preload/index.ts') },
        external: ['electron'],
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve('src/renderer'),
    plugins: [svelte()],
    server: { headers: { 'Content-Security-Policy': DEV_SERVER_CSP } },
    build: { rolldownOptions: { input: { index: resolve('src/renderer/index.html') } } },
  },
})
