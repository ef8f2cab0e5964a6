/** The command line of pass-through commands: `--` so @effect/cli parses none of their words (multicall: test/integration/multicall.test.ts). */
import { Exit } from "effect"
import { describe, expect, it } from "vitest"
import { passThroughArgv } from "../../src/domain/GlobalArgs.js"
import { ChildExit } from "../../src/domain/Errors.js"
import { exitCodeFor, exitCodeOf } from "../../src/domain/ExitCode.js"

describe("passThroughArgv", () => {
  it.each([
    [["ctl", "get", "ns", "-n", "x"], ["ctl", "--", "get", "ns", "-n", "x"]],
    [["--instance", "7", "ctl", "--help"], ["--instance", "7", "ctl", "--", "--help"]],
    [["--instance=7", "--log-level", "debug", "kubectl", "version"], ["--instance=7", "--log-level", "debug", "kubectl", "--", "version"]],
    [["ctl", "--", "get"], ["ctl", "--", "get"]],
    [["svc", "start", "--timeout=1s"], ["svc", "start", "--timeout=1s"]],
    [["svc", "log", "ctl"], ["svc", "log", "ctl"]],
    // what main.ts makes of a `kubectl` multicall
    [["kubectl", "get", "pods", "--all-namespaces"], ["kubectl", "--", "get", "pods", "--all-namespaces"]]
  ])("%j → %j", (input, expected) => expect(passThroughArgv(input)).toEqual(expected))
})

describe("a pass-through child's exit code", () => {
  it("is rdd's exit code, through the one mapping", () => {
    expect(exitCodeFor(new ChildExit({ code: 7, message: "kubectl exited with code 7" }))).toBe(7)
    expect(exitCodeOf(Exit.fail(new ChildExit({ code: 1, message: "x" })))).toBe(1)
    expect(exitCodeOf(Exit.fail(new ChildExit({ code: 130, message: "x" })))).toBe(130)
  })
})
