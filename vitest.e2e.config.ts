import { defineConfig } from 'vitest/config';

/**
 * End-to-end tests: Playwright (playwright-core) drives Debian's Chromium, headless with software
 * WebGL (SwiftShader), against the production build served by `vite preview` (globalSetup).
 * Files run one after another: two Chromiums training at once on 2 cores would time each other out.
 */
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['test/e2e/globalSetup.ts'],
    fileParallelism: false,
    testTimeout: 240_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
