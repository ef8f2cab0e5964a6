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
    // The built CLI runs from this checkout, which developer mode's fallback rule
    // (domain/DeveloperMode.ts) would take for a developer's build: debug logs and
    // the developer commands in help. Tests get a plain rdd unless they ask.
    env: { RDD_DEVELOPER_MODE: "false" },
    testTimeout: 180_000,
    hookTimeout: 60_000,
    fileParallelism: false,
    maxWorkers: 1,
    minWorkers: 1
  }
})
