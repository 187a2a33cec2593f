import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests compare loopwatch's durations with what each fixture measured
    // itself; running fixture programs side by side on a 2-core machine would only
    // add noise, so test files run one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
  },
});
