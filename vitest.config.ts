import { defineConfig } from "vitest/config"
import LongestFirstSequencer from "./test/support/sequencer.js"

/** End-to-end files that boot QEMU guests (minutes each): `npm run test:guests`. */
const guests = [
  "test/e2e/app-*.test.ts",
  "test/e2e/limavm*.test.ts",
  "test/e2e/qemu-driver.test.ts",
  "test/e2e/tiny-ssh-guest.test.ts"
]

// `npm test` runs the three projects together; each has its own script too.
export default defineConfig({
  test: {
    globalSetup: ["test/support/leftovers.ts"],
    // The built CLI runs from this checkout, which developer mode's fallback rule
    // (domain/DeveloperMode.ts) would take for a developer's build: debug logs and
    // the developer commands in help. Tests get a plain rdd unless they ask.
    env: { RDD_DEVELOPER_MODE: "false" },
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration and e2e tests spawn daemons and QEMU guests: two cores, so keep it small.
    maxWorkers: 2,
    minWorkers: 1,
    sequence: { sequencer: LongestFirstSequencer },
    projects: [
      {
        extends: true,
        test: {
          name: "unit",
          include: ["test/unit/**/*.test.ts", "test/property/**/*.test.ts"],
          // Pure in-process tests: one module graph per thread instead of a fresh
          // process per file (a fork re-imports effect and the CLI for every file:
          // measured 414 s against 66 s for the same files under load).
          pool: "threads",
          isolate: false
        }
      },
      {
        extends: true,
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts", "test/security/**/*.test.ts", "test/docs/**/*.test.ts", "test/e2e/**/*.test.ts"],
          exclude: [...guests, "node_modules/**"]
        }
      },
      {
        extends: true,
        test: { name: "guests", include: guests }
      }
    ]
  }
})
