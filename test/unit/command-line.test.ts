/** The argument model shared by parsing, help and usage errors (src/domain/CommandLine.ts). */
import { describe, expect, it } from "vitest"
import * as CommandLine from "../../src/domain/CommandLine.js"
import { isDaemonOf } from "../../src/services/ProcessManager.js"

describe("the command line's shared model", () => {
  it("global flags: `=` or a separate value, `_` for `-`, nothing else", () => {
    expect(CommandLine.globalFlagOf("--instance")).toEqual({ flag: "instance" })
    expect(CommandLine.globalFlagOf("--log_level=debug")).toEqual({ flag: "log-level", value: "debug" })
    expect(CommandLine.globalFlagOf("--log-format=")).toEqual({ flag: "log-format", value: "" })
    expect(CommandLine.globalFlagOf("--instances")).toBeUndefined()
    expect(CommandLine.globalFlagOf("-i")).toBeUndefined()
    expect(CommandLine.globalFlagsUsage(true)).toBe("[--instance NAME] [--log-level LEVEL] [--log-format text|json]")
  })
  it("aliases stand for their command, also as the first of several words", () => {
    expect(CommandLine.canonical(["service", "logs"])).toEqual(["svc", "log"])
    expect(CommandLine.canonical(["lima", "log", "x"])).toEqual(["limavm", "logs", "x"])
    expect(CommandLine.canonical(["ctl", "logs"])).toEqual(["ctl", "logs"])
  })
  it("lifecycle verbs by their record name, through aliases", () => {
    expect(CommandLine.lifecycleVerb(["service", "start"])).toBe("svc start")
    expect(CommandLine.lifecycleVerb(["lima", "restart", "vm"])).toBe("limavm restart")
    expect(CommandLine.lifecycleVerb(["start"])).toBe("start")
    expect(CommandLine.lifecycleVerb(["svc", "status"])).toBeUndefined()
    expect(CommandLine.lifecycleVerb([])).toBeUndefined()
  })
  it("the daemon's words: what `svc serve` parsing and the pid-reuse guard both recognise", () => {
    expect(CommandLine.namesServe(["--instance", "3", "service", "serve"])).toBe(true)
    expect(CommandLine.namesServe(["svc", "status", "serve"])).toBe(false)
    const identity = (argv: Array<string>) => ({ pid: 1, argv })
    expect(isDaemonOf(identity(["node", "rdd.mjs", "--instance", "3", "service", "serve"]), "3")).toBe(true)
    expect(isDaemonOf(identity(["node", "rdd.mjs", "--instance", "3", "svc", "start"]), "3")).toBe(false)
  })
})
