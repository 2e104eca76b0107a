import { defineConfig } from 'vitest/config';

// Unit tests live beside the code (*.test.ts); integration tests that need the real
// Postgres / Redis / git of the machine are named *.int.test.ts. Both run in one pass.
export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'src/**/*.test.tsx', 'test/**/*.test.ts', 'bench/**/*.test.ts'],
    exclude: ['node_modules/**', 'out/**', 'e2e/**'],
    environment: 'node',
    // Tests that spawn `wave` run its bundle: rebuild it first when a source is newer.
    globalSetup: ['test/helpers/wave-bundle.ts'],
    // Hang guards only, never a pace: no test waits for a time to pass. They are wide because a
    // 2-core machine under load (load average 15) took 47 s for four serialised git merges.
    testTimeout: 120_000,
    hookTimeout: 180_000,
    pool: 'forks',
    maxWorkers: 2,
    // Test files share a worker's module cache instead of re-importing the core for each file:
    // the unit files take 22 s of CPU instead of 52 s, which is most of what a 2-core
    // machine spends on them. No test mocks modules; the one that fakes timers restores them.
    isolate: false,
    reporters: ['default'],
  },
});
