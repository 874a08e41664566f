import { defineConfig } from 'vitest/config';

// The Debian demo's tests (npm run test:debian): opt-in, because a cold `lab.sh debian` debootstraps from Debian's mirror and
// takes minutes. They share the lab like the other integration tests.
export default defineConfig({
  test: {
    name: 'debian',
    include: ['test/integration/debian*.test.ts'],
    globalSetup: ['test/support/labSetup.ts'],
    fileParallelism: false,
    testTimeout: 180_000,
    hookTimeout: 900_000,
  },
});
