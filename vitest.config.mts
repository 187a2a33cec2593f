import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A temporary directory of the tests' own, which must be empty when they end.
    globalSetup: ['test/support/temporary-directory.ts'],
    // Integration tests compare loopwatch's durations with what each fixture measured
    // itself; running fixture programs side by side on a 2-core machine would only
    // add noise, so test files run one at a time.
    fileParallelism: false,
    testTimeout: 60_000,
    // Hooks run fixtures, tsc and browsers too: at a load average of 15 on 2 cores,
    // building the source-map fixtures or the HTML report's large run took over
    // vitest's default 10 s.
    hookTimeout: 60_000,
  },
});
