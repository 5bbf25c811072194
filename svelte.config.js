/** Svelte options for every build of the renderer (electron-vite, the browser build, the tests) and for svelte-check. */
export default {
  compilerOptions: { runes: true },
}
