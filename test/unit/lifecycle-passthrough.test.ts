/** The command line of pass-through commands: multicall via a `kubectl` name, and `--` so @effect/cli parses none of their words. */
import { Exit } from "effect"
import { describe, expect, it } from "vitest"
import { passThroughArgv } from "../../src/cli.js"
import { commandLine } from "../../src/Multicall.js"
import { ChildExit } from "../../src/domain/Errors.js"
import { exitCodeFor, exitCodeOf } from "../../src/domain/ExitCode.js"

const argv = (invokedAs: string, ...args: Array<string>) => ["/usr/bin/node", invokedAs, ...args]

describe("passThroughArgv", () => {
  it.each([
    [argv("/x/bin/rdd.mjs", "ctl", "get", "ns", "-n", "x"), ["ctl", "--", "get", "ns", "-n", "x"]],
    [argv("/x/bin/rdd.mjs", "--instance", "7", "ctl", "--help"), ["--instance", "7", "ctl", "--", "--help"]],
    [argv("/x/bin/rdd.mjs", "--instance=7", "--log-level", "debug", "kubectl", "version"), ["--instance=7", "--log-level", "debug", "kubectl", "--", "version"]],
    [argv("/x/bin/rdd.mjs", "ctl", "--", "get"), ["ctl", "--", "get"]],
    [argv("/x/bin/rdd.mjs", "svc", "start", "--timeout=1s"), ["svc", "start", "--timeout=1s"]],
    [argv("/x/bin/rdd.mjs", "svc", "log", "ctl"), ["svc", "log", "ctl"]],
    [argv("/usr/local/bin/kubectl", "get", "pods", "--all-namespaces"), ["kubectl", "--", "get", "pods", "--all-namespaces"]],
    [argv("/usr/local/bin/kubectl.exe", "version"), ["kubectl", "--", "version"]],
    [argv("/usr/local/bin/kubectllike", "version"), ["version"]]
  ])("%j → %j", (input, expected) => expect(passThroughArgv(commandLine(input))).toEqual(expected))
})

describe("a pass-through child's exit code", () => {
  it("is rdd's exit code, through the one mapping", () => {
    expect(exitCodeFor(new ChildExit({ code: 7, message: "kubectl exited with code 7" }))).toBe(7)
    expect(exitCodeOf(Exit.fail(new ChildExit({ code: 1, message: "x" })))).toBe(1)
    expect(exitCodeOf(Exit.fail(new ChildExit({ code: 130, message: "x" })))).toBe(130)
  })
})
