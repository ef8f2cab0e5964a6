/**
 * Bad input on the command line (SPEC 1.1, 6): every flag of every command, found
 * in `rdd --help` so that new commands are covered without editing this file, is
 * given invalid values; unknown flags, missing and surplus arguments and bad
 * global flags too. Each must end with exit 2 and ONE clear fatal line that names
 * the flag (or the word) that is wrong, and never a stack trace. Everything runs
 * in a temp HOME; should a bad command line ever be accepted and start a daemon,
 * the sweep ends it by pid and the test has already failed.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { runRdd, type RunResult, tempHome } from "../support/rdd.js"
import { type CommandInfo, discover, type Flag, parseUsage } from "./CommandTree.js"
import { sweepDaemons } from "./Sweep.js"
import { PassThroughCommands } from "../../src/domain/CommandLine.js"

const { home, cleanup } = tempHome("rdd-bad-input-")
afterAll(() => {
  const ended = sweepDaemons(home)
  cleanup()
  expect(ended, "a bad command line started a daemon").toEqual([])
})

interface Case {
  readonly title: string
  readonly args: ReadonlyArray<string>
  readonly env?: Readonly<Record<string, string>>
  /** the message must contain one of these (case-insensitive) */
  readonly mentions: ReadonlyArray<string>
}

const env = {
  RDD_LOG_LEVEL: undefined,
  RDD_LOG_FORMAT: undefined,
  RDD_INSTANCE: undefined,
  RDD_LOG_ROOT: undefined,
  // nothing a fuzzed command might run by accident
  RDD_KUBECTL: "/nonexistent/kubectl"
}

const run = (c: Case) => {
  // a unique instance, unless the case is about the instance itself
  const own = c.args[0] === "--instance" || c.env?.["RDD_INSTANCE"] !== undefined
  return runRdd(own ? c.args : ["--instance", "fuzz", ...c.args], { home, env: { ...env, ...c.env }, timeoutMs: 20_000 })
}

const summary = (c: Case, r: RunResult) => `rdd ${c.args.join(" ")} -> exit ${r.code}\n${r.stderr}${r.stdout}`
const fatalLine = (r: RunResult) => r.stderr.split("\n").filter((l) => l.trim() !== "")[0] ?? ""

/** exit 2, exactly one fatal line, no stack trace */
const expectOneUsageLine = (c: Case, r: RunResult) => {
  const lines = r.stderr.split("\n").filter((l) => l.trim() !== "")
  expect(r.code, summary(c, r)).toBe(2)
  expect(lines, summary(c, r)).toHaveLength(1)
  expect(lines[0], summary(c, r)).toMatch(/^time="[^"]+" level=fatal msg="/)
  expect(r.stderr, summary(c, r)).not.toMatch(/^\s+at /m)
}

/** the line names the flag or word that is wrong */
const expectNamed = (c: Case, r: RunResult) => {
  const msg = fatalLine(r).toLowerCase()
  expect(c.mentions.some((m) => msg.includes(m.toLowerCase())), `message should name one of ${c.mentions.join(", ")}: ${fatalLine(r)}`)
    .toBe(true)
}

const expectUsageError = async (c: Case) => {
  const r = await run(c)
  expectOneUsageLine(c, r)
  expectNamed(c, r)
}

/** Plausible values for everything required, so the case fails only on what it fuzzes. */
const requiredArgs = (cmd: CommandInfo): Array<string> =>
  cmd.args.filter((a) => !a.optional).map((a) => `fuzz-${a.name.toLowerCase()}`)

const plausible = (f: Flag): string =>
  f.type === undefined ? "true" : f.type.includes("|") ? f.type.split("|")[0]!.trim() : f.type === "integer" ? "1" : "x"

const requiredFlags = (cmd: CommandInfo, except: string): Array<string> =>
  cmd.flags.filter((f) => f.required && f.name !== except).map((f) => `--${f.name}=${plausible(f)}`)

const invalidValues = (f: Flag): ReadonlyArray<string> => {
  // only true and false are documented (docs/user-guide.md); yes/no, on/off, 1/0 are refused
  if (f.type === undefined) return ["maybe", "yes please", "no"]
  if (f.name === "timeout" || f.type === "duration") return ["garbage", "-5s", "10", "1.5", "5 m", "1d", "5s10", ""]
  if (f.name === "output") return ["bogus", "JSON "]
  if (f.name === "controllers") return ["bogus", "limavm,nope", "-"]
  if (f.name.includes("port")) return ["abc", "0", "70000", "-1", "1.5", ""]
  if (f.type === "integer") return ["abc", "1.5", ""]
  if (f.type.includes("|")) return ["bogus-choice"]
  return [] // free text: only a missing value is certainly wrong
}

/**
 * `rdd kubectl` and `rdd ctl` hand everything after their name to kubectl: it is kubectl's to reject;
 * `rdd run`'s words are its child's (and it starts the App first, so the sweep leaves it to test/integration);
 * `rdd yq`'s words are yq's, rejected as yq does (exit 1, its `Error:` line; test/unit/yq.test.ts).
 */
const passesThrough = (cmd: CommandInfo): boolean => PassThroughCommands.has(cmd.path[0]!)
const hasRepeatedArg = (cmd: CommandInfo): boolean => cmd.args.some((a) => a.repeated)

const casesFor = (cmd: CommandInfo): ReadonlyArray<Case> => {
  const cases: Array<Case> = []
  const p = cmd.path
  for (const f of cmd.flags) {
    for (const v of invalidValues(f)) {
      cases.push({
        title: `--${f.name}=${JSON.stringify(v)}`,
        args: [...p, ...requiredFlags(cmd, f.name), `--${f.name}=${v}`, ...requiredArgs(cmd)],
        mentions: [f.name, ...(f.alias ? [`-${f.alias}`] : [])]
      })
    }
    if (f.type !== undefined) {
      cases.push({
        title: `--${f.name} without a value`,
        args: [...p, ...requiredFlags(cmd, f.name), ...requiredArgs(cmd), `--${f.name}`],
        mentions: [f.name]
      })
    }
  }
  if (!passesThrough(cmd)) {
    cases.push({ title: "an unknown flag", args: [...p, "--no-such-flag", ...requiredArgs(cmd)], mentions: ["--no-such-flag"] })
    cases.push({ title: "an unknown short flag", args: [...p, "-Z", ...requiredArgs(cmd)], mentions: ["-Z"] })
    const required = cmd.args.filter((a) => !a.optional)
    if (required.length > 0) {
      cases.push({ title: "missing arguments", args: [...p, ...requiredFlags(cmd, "")], mentions: required.map((a) => a.name) })
    }
    if (!hasRepeatedArg(cmd)) {
      const all = cmd.args.map((a) => `fuzz-${a.name.toLowerCase()}`)
      cases.push({
        title: "a surplus argument",
        args: [...p, ...requiredFlags(cmd, ""), ...all, "surplus-arg"],
        // the invented values of the other arguments may be what is reported as wrong
        mentions: ["surplus-arg", ...all]
      })
    }
  }
  return cases
}

const badInstances = ["..", "a..b", "../x", "a/b", "/abs", "x".repeat(41), "", "-x", ".hidden", "a b", "é"]

/** Global flags are read before the subcommand is known: the full set once per top-level command, a sample elsewhere. */
const globalCases = (cmd: CommandInfo, full: boolean): ReadonlyArray<Case> => {
  const tail = [...cmd.path, ...requiredFlags(cmd, ""), ...requiredArgs(cmd)]
  const all: ReadonlyArray<Case> = [
    ...badInstances.map((i) => ({ title: `--instance=${JSON.stringify(i)}`, args: ["--instance", i, ...tail], mentions: ["instance"] })),
    { title: "RDD_INSTANCE=../x", args: tail, env: { RDD_INSTANCE: "../x" }, mentions: ["instance"] },
    { title: "--log-level=bogus", args: ["--log-level=bogus", ...tail], mentions: ["log-level"] },
    { title: "--log-level without a value", args: ["--log-level", ...tail], mentions: ["log-level"] },
    { title: "RDD_LOG_LEVEL=loud", args: tail, env: { RDD_LOG_LEVEL: "loud" }, mentions: ["RDD_LOG_LEVEL"] },
    { title: "--log-format=xml", args: ["--log-format=xml", ...tail], mentions: ["log-format", "log format"] },
    ...(passesThrough(cmd) ? [] : [{ title: "--instance after the subcommand", args: [...tail, "--instance", "x"], mentions: ["--instance"] }])
  ]
  return full ? all : all.filter((c) => ["--instance=\"../x\"", "--log-level=bogus", "--log-format=xml"].includes(c.title))
}

const tree = await discover(home)
/** aliases run the same code: test each command once */
const canonical = (p: ReadonlyArray<string>) => p.map((w) => ({ service: "svc", lima: "limavm", logs: "log" })[w] ?? w).join(" ")
const leaves = tree.filter((c, i) =>
  !c.isGroup &&
  // the daemon itself: started only by svc start with saved arguments, and a valid parse would run it
  c.path.at(-1) !== "serve" &&
  tree.findIndex((o) => !o.isGroup && canonical(o.path) === canonical(c.path)) === i
)
const firstOfTopLevel = new Set(leaves.filter((c, i) => leaves.findIndex((o) => o.path[0] === c.path[0]) === i))

describe("the command tree is read from rdd --help", () => {
  it("parses usage lines of every shape @effect/cli prints", () => {
    const c = parseUsage("x create [--wait] [--secure-port integer] --fmt a | b [(-n, --namespace text)] [(-f, --follow)] <NAME> [<T>] <ARGS>...")
    expect(c.path).toEqual(["x", "create"])
    expect(c.flags).toEqual([
      { name: "wait", alias: undefined, type: undefined, required: false },
      { name: "secure-port", alias: undefined, type: "integer", required: false },
      { name: "fmt", alias: undefined, type: "a | b", required: true },
      { name: "namespace", alias: "n", type: "text", required: false },
      { name: "follow", alias: "f", type: undefined, required: false }
    ])
    expect(c.args).toEqual([
      { name: "NAME", optional: false, repeated: false },
      { name: "T", optional: true, repeated: false },
      { name: "ARGS", optional: false, repeated: true }
    ])
  })

  it("finds the commands that certainly exist, with their flags", () => {
    const paths = leaves.map((c) => c.path.join(" "))
    expect(paths).toEqual(expect.arrayContaining(["svc status", "svc paths", "version"]))
    expect(leaves.find((c) => c.path.join(" ") === "svc status")?.flags.map((f) => f.name)).toContain("output")
  })
})

const defineCases = (cases: ReadonlyArray<Case>, prefix: string) => {
  for (const c of cases) {
    it(`${prefix}${c.title}: exit 2, one line naming it`, async () => {
      await expectUsageError(c)
    })
  }
}

describe.each(leaves.map((c) => [c.path.join(" "), c] as const))("rdd %s", (_name, cmd) => {
  defineCases(casesFor(cmd), "")
  defineCases(globalCases(cmd, firstOfTopLevel.has(cmd)), "global ")
})

describe("explicit cases (a guard in case reading the help ever misses a command)", () => {
  const explicit: ReadonlyArray<readonly [ReadonlyArray<string>, ReadonlyArray<string>]> = [
    [["svc", "start", "--timeout=garbage"], ["timeout"]],
    [["svc", "start", "--timeout=-5s"], ["timeout"]],
    [["svc", "start", "--timeout=10"], ["timeout"]],
    [["svc", "start", "--timeout", "-5s"], ["--timeout=-5s"]],
    [["svc", "stop", "--timeout=5 minutes"], ["timeout"]],
    [["svc", "status", "--output=bogus"], ["output"]],
    [["svc", "paths", "-o", "yaml"], ["output", "yaml"]],
    [["--log-level=bogus", "svc", "status"], ["log-level"]],
    [["--log-format=bogus", "svc", "status"], ["log-format", "log format"]],
    [["--instance=..", "svc", "status"], ["instance"]],
    [["--instance=a/b", "svc", "status"], ["instance"]],
    [["--instance=" + "a".repeat(41), "svc", "status"], ["instance"]],
    [["svc", "create", "--controllers=bogus"], ["controllers"]],
    [["svc", "create", "--secure-port=0"], ["secure-port"]],
    [["svc", "create", "--secure-port=70000"], ["secure-port"]],
    [["svc", "start", "--bogus-flag"], ["--bogus-flag"]],
    // booleans: exactly true or false (the spellings docs/user-guide.md lists)
    [["svc", "start", "--wait=no"], ["--wait"]],
    [["svc", "start", "--wait=yes"], ["--wait"]],
    [["svc", "stop", "--wait=0"], ["--wait"]],
    [["svc", "stop", "--wait=off"], ["--wait"]],
    [["limavm", "start", "--wait=n", "vm"], ["--wait"]],
    [["set", "--dry-run=on", "running=true"], ["--dry-run"]],
    [["limavm", "start"], ["missing argument NAME for \\\"rdd limavm start"]],
    [["limavm", "start", "a", "b"], ["b", "a"]],
    [["limavm", "create", "only-a-name"], ["template"]],
    // an unknown flag where a positional is still missing is not taken for it (it once
    // deleted a LimaVM named "--no-such-flag", autostarting a control plane to do it)
    [["limavm", "delete", "--no-such-flag"], ["--no-such-flag"]],
    [["limavm", "start", "--no-such-flag"], ["--no-such-flag"]],
    [["limavm", "create", "vm", "--no-such-flag"], ["--no-such-flag"]]
  ]
  it.each(explicit.map(([args, mentions]) => [args.join(" "), args, mentions] as const))("rdd %s", async (_t, args, mentions) => {
    await expectUsageError({ title: args.join(" "), args, mentions })
  })
})

describe("unknown commands and flags at every level", () => {
  const groups = tree.filter((c) => c.isGroup).map((c) => c.path)
  it.each([[], ...groups].map((p) => [p.join(" ") || "rdd", p] as const))("%s", async (_n, p) => {
    await expectUsageError({ title: "unknown command", args: [...p, "no-such-command"], mentions: ["no-such-command"] })
    await expectUsageError({ title: "unknown flag", args: [...p, "--no-such-flag"], mentions: ["--no-such-flag"] })
  })
})

describe("a lifecycle verb asked for --output json still prints its one outcome record on a usage error", () => {
  // SPEC 1.3: the lifecycle verbs print exactly one JSON object on exit, success or failure
  const verbs = ["svc create", "svc start", "svc stop", "svc delete", "limavm create", "limavm start", "limavm stop", "limavm restart", "limavm delete", "set", "start", "stop"]
  it("each is in the command tree, with --output", () => {
    for (const v of verbs) expect(leaves.find((c) => canonical(c.path) === v)?.flags.map((f) => f.name), v).toContain("output")
  })
  const spellings = [["--output=json"], ["-o", "json"], ["--output", "json"]]
  it.each(verbs.map((v, i) => [v, spellings[i % spellings.length]!] as const))("rdd %s %s --no-such-flag", async (verb, json) => {
    const args = [...verb.split(" "), ...json, "--no-such-flag"]
    const r = await run({ title: verb, args, mentions: [] })
    expect(r.code, summary({ title: verb, args, mentions: [] }, r)).toBe(2)
    const lines = r.stdout.split("\n").filter((l) => l !== "")
    expect(lines, r.stdout).toHaveLength(1)
    const record = JSON.parse(lines[0]!) as Record<string, unknown>
    expect(record).toMatchObject({ command: verb, instance: "rancher-desktop-fuzz", outcome: "failed", exitCode: 2 })
    expect(String(record["message"])).toContain("--no-such-flag")
    expect(fatalLine(r)).toContain("--no-such-flag")
  })
  it("without --output json, and for commands that are not lifecycle verbs, stdout stays empty", async () => {
    for (const args of [["svc", "start", "--no-such-flag"], ["svc", "status", "-o", "json", "--no-such-flag"], ["svc", "start", "-o", "yaml"]]) {
      const r = await run({ title: args.join(" "), args, mentions: [] })
      expect(r.code).toBe(2)
      expect(r.stdout, args.join(" ")).toBe("")
    }
  })
})
