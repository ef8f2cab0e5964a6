/**
 * `npm run bench` loads outside vitest: a bench module that reached a test helper
 * importing vitest (its hooks throw outside a vitest worker) once broke every group
 * before the first figure. An unknown group is refused after every module loaded.
 */
import { spawnSync } from "node:child_process"
import * as path from "node:path"
import { describe, expect, it } from "vitest"

const root = path.resolve(import.meta.dirname, "../..")

describe("bench/run.ts", () => {
  it("loads all its modules in a plain node process", () => {
    const tsx = path.join(root, "node_modules/.bin/tsx")
    const r = spawnSync(tsx, ["bench/run.ts", "--only=no-such-group"], { cwd: root, encoding: "utf8", env: { ...process.env, VITEST: undefined, VITEST_WORKER_ID: undefined } })
    expect(r.stderr).toContain('unknown group "no-such-group"')
    expect(r.stderr).not.toContain("Vitest failed")
  }, 60_000)
})
