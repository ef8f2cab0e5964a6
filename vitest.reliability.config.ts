import { defineConfig } from "vitest/config"

// `npm run test:reliability`: crash consistency, start/stop storms, stale state,
// port conflicts, disk trouble (and the 10-minute soak with RDD_SOAK=1). These
// tests start and kill many daemons, so they run one file at a time and with the
// same leftover-process check as the default suite.
export default defineConfig({
  test: {
    include: ["test/reliability/**/*.test.ts"],
    exclude: ["node_modules/**"],
    globalSetup: ["test/support/leftovers.ts"],
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    maxWorkers: 1,
    minWorkers: 1
  }
})
