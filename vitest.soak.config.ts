import { defineConfig } from 'vitest/config';

/** `npm run soak`: the load-and-fault run (soak/), not part of `npm test`. */
export default defineConfig({
  test: {
    include: ['soak/**/*.soak.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 15 * 60_000,
    hookTimeout: 5 * 60_000,
    env: { NODE_ENV: 'test' },
  },
});
