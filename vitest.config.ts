import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

// freshen's config-blob cache and its record of notifications sent, one per test run: tests must not read what an earlier
// run (or the user's freshen) kept, nor write to the user's own.
const env = {
  FRESHEN_CACHE_DIR: join(tmpdir(), `freshen-test-cache-${process.pid}`),
  FRESHEN_STATE_DIR: join(tmpdir(), `freshen-test-state-${process.pid}`),
};

// Unit tests run in parallel; integration tests share one lab (dockerds, a registry, an sshd), so they run one file at a time.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          env,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/support/labSetup.ts'],
          fileParallelism: false,
          testTimeout: 180_000,
          hookTimeout: 600_000,
          env,
        },
      },
    ],
  },
});
