import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/reliability/**", "node_modules/**"],
    globalSetup: ["test/support/leftovers.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and e2e tests spawn daemons and QEMU guests: two cores, so keep it small.
    maxWorkers: 2,
    minWorkers: 1
  }
})
