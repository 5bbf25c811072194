import js from '@eslint/js'
import tseslint from 'typescript-eslint'
import svelte from 'eslint-plugin-svelte'
import globals from 'globals'

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
  {
    // Only the thin Electron entry files may import electron (design.md §1).
    files: ['src/**/*.ts'],
    ignores: ['src/main/index.ts', 'src/main/window.ts', 'src/main/ipc/**', 'src/preload/**'],
    rules: { 'no-restricted-imports': ['error', { paths: [{ name: 'electron', message: 'Only src/main/index.ts, window.ts, ipc/* and preload may import electron.' }] }] },
  },
)
