/** The bench finds `svc start`/`svc stop` in `rdd svc --help`, in rdd's own help layout too. */
import { execFileSync } from "node:child_process"
import { describe, expect, it } from "vitest"
import { missingCommands } from "../../bench/figures/lifecycle.js"
import { rddBin } from "../support/rdd.js"

describe("missingCommands", () => {
  it("reads rdd's own help (the one the built binary prints) and @effect/cli's", () => {
    const help = execFileSync(process.execPath, [rddBin, "svc", "--help"], { encoding: "utf8", env: { ...process.env, HOME: "/nonexistent" } })
    expect(missingCommands(help, ["start", "stop"])).toEqual([])
    expect(missingCommands("COMMANDS\n\n  - start  Start\n  - stop  Stop\n", ["start", "stop"])).toEqual([])
    expect(missingCommands(help, ["start", "no-such-verb"])).toEqual(["no-such-verb"])
    expect(missingCommands("Start the control plane and stop it\n", ["start", "stop"])).toEqual(["start", "stop"])
  })
})
