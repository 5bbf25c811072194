import { defineConfig } from 'vitest/config'

// Full-size checks (d=768, 12 layers, vocab 50264): minutes each, never part of `npm test`.
export default defineConfig({
  test: {
    name: 'slow',
    environment: 'node',
    include: ['test/slow/**/*.test.ts'],
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    fileParallelism: false,
  },
})
