import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/reliability/**", "node_modules/**"],
    globalSetup: ["test/support/leftovers.ts"],
    // The built CLI runs from this checkout, which developer mode's fallback rule
    // (domain/DeveloperMode.ts) would take for a developer's build: debug logs and
    // the developer commands in help. Tests get a plain rdd unless they ask.
    env: { RDD_DEVELOPER_MODE: "false" },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and e2e tests spawn daemons and QEMU guests: two cores, so keep it small.
    maxWorkers: 2,
    minWorkers: 1
  }
})
