/**
 * Help as compact and exact as kubectl's or limactl's (issue 10 item 11): every
 * line under 100 columns, aliases listed once, usage lines that name the full
 * command path, real descriptions and no @effect/cli boilerplate, no escape
 * codes when stdout is not a terminal.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { runRdd, tempHome } from "../support/rdd.js"

const { home, cleanup } = tempHome("rdd-help-")
afterAll(cleanup)
// developer mode, so that the developer commands (ctl, limavm, yq) are listed too
const help = async (...args: Array<string>) => {
  const r = await runRdd(args, { home, env: { RDD_LOG_LEVEL: "info", RDD_DEVELOPER_MODE: "1" } })
  expect(r.code, r.stderr).toBe(0)
  expect(r.stderr).toBe("")
  return r.stdout
}

const boilerplate = [
  "A user-defined piece of text",
  "can be set from environment variables",
  "This setting is optional",
  "A true or false value",
  "$ "
]

/** The usage synopsis, its continuation lines joined. */
const usageOf = (text: string): string =>
  (/^Usage:\n((?: {2}.*\n?)+)/m.exec(text)?.[1] ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ")

const expectTidy = (text: string) => {
  expect(text).not.toContain("\x1b")
  for (const line of text.split("\n")) expect(line.length, line).toBeLessThan(100)
  for (const b of boilerplate) expect(text).not.toContain(b)
}

describe("rdd --help", () => {
  it("is compact: short lines, no escape codes, no boilerplate, each command once", async () => {
    const text = await help("--help")
    expectTidy(text)
    // no longer than kubectl 1.32's own `kubectl --help` (69 lines), in developer mode, which
    // lists the developer commands too (a user's plain help is shorter still)
    expect(text.trimEnd().split("\n").length).toBeLessThanOrEqual(69)
    expect(text).toMatch(/^Usage:\n {2}rdd \[--instance NAME\].* COMMAND/m)
    // aliases are named next to their command, never as a second tree
    expect(text).toMatch(/^ {2}svc \(alias service\) +\S/m)
    expect(text).toMatch(/^ {2}limavm \(alias lima\) +\S/m)
    expect(text).not.toMatch(/^ +(service|lima)\b/m)
    expect(text.match(/^ {4}svc start +\S/gm)).toHaveLength(1)
    expect(text.match(/^ {4}svc log +/gm)).toHaveLength(1)
    expect(text).not.toMatch(/^ {4}svc logs /m)
    // the global flags name their environment variables
    expect(text).toMatch(/--instance NAME .*RDD_INSTANCE/)
    expect(text).toMatch(/--log-level LEVEL .*RDD_LOG_LEVEL/)
  })

  it("plain rdd prints the same help, and a group without a subcommand its own", async () => {
    expect(await help()).toBe(await help("--help"))
    for (const group of ["svc", "service", "limavm", "lima"]) {
      const text = await help(group)
      expectTidy(text)
      expect(text).toBe(await help(group, "--help"))
    }
  })
})

describe("a command's help", () => {
  it("rdd svc start --help: usage with the full path, every flag described once", async () => {
    const text = await help("svc", "start", "--help")
    expectTidy(text)
    expect(text).toMatch(/^Usage:\n {2}rdd svc start \[--wait\] \[--timeout duration\]/m)
    expect(text).toMatch(/^ {2}--wait +Wait until the operation has completed/m)
    expect(text).toMatch(/^ {2}-o, --output text\|json +Output format/m)
    expect(text.match(/--timeout duration +/g)).toHaveLength(1)
    expect(text).toContain("Start the control plane")
  })

  it("an alias shows the command's help under its own name, and names the alias", async () => {
    const text = await help("service", "start", "-h")
    expectTidy(text)
    expect(text).toMatch(/^Usage:\n {2}rdd svc start /m)
    expect(text).toMatch(/^Aliases:\n {2}rdd service start$/m)
  })

  it("a group's help lists its commands once, aliases beside them", async () => {
    const text = await help("limavm", "--help")
    expectTidy(text)
    expect(text).toMatch(/^Usage:\n {2}rdd limavm COMMAND/m)
    expect(text).toMatch(/^ {2}logs \(alias log\) +\S/m)
    expect(text).not.toMatch(/^ {2}log +/m)
  })

  it("arguments and repeated arguments are in the usage line; set --help keeps its property table", async () => {
    expect(usageOf(await help("limavm", "create", "--help"))).toMatch(/^rdd limavm create .*<NAME> <TEMPLATE>$/)
    const set = await help("set", "--help")
    expectTidy(set)
    expect(usageOf(set)).toMatch(/^rdd set .*<PROPERTY=VALUE>\.\.\.$/)
    expect(set).toContain("running")
  })
})
