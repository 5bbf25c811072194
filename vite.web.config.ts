import { resolve } from 'node:path'
import { defineConfig } from 'vite'
import { svelte } from '@sveltejs/vite-plugin-svelte'

// The same renderer as the Electron app, built for `serve` (out/web); it talks HTTP instead of IPC.
export default defineConfig({
  root: resolve('src/renderer'),
  base: './',
  plugins: [svelte()],
  build: { outDir: resolve('out/web'), emptyOutDir: true, chunkSizeWarningLimit: 2000 },
})
