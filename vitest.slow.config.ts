import { defineConfig } from 'vitest/config'

// Full-size checks (d=768, 12 layers, vocab 50264): minutes each, never part of `npm test`;
// and the whole hostile-input suite.
export default defineConfig({
  test: {
    name: 'slow',
    environment: 'node',
    include: ['test/slow/**/*.test.ts', 'test/hostile/**/*.test.ts'],
    // every generated hostile case, not the sample npm test runs (test/hostile/sample-cases.ts)
    env: { BACKPACK_HOSTILE: 'all' },
    testTimeout: 1_800_000,
    hookTimeout: 1_800_000,
    fileParallelism: false,
  },
})
