/**
 * The command line as users and scripts see it: exit codes, usage errors that
 * name the problem, and the pure commands (status, paths, version) on a HOME
 * where nothing was ever created.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import { existsSync, readdirSync } from "node:fs"
import { messages, runRdd, tempHome } from "../support/rdd.js"

const { home, cleanup } = tempHome()
afterAll(cleanup)
const run = (...args: Array<string>) => runRdd(args, { home, env: { RDD_LOG_LEVEL: undefined, RDD_LOG_ROOT: undefined } })

describe("usage errors exit 2 and name the problem", () => {
  it.each([
    [["--timeout-bogus"], "--timeout-bogus"],
    [["svc", "paths", "no_such_key"], "no_such_key"],
    [["--log-level=nope", "svc", "status"], "nope"],
    [["--instance", "../x", "svc", "status"], "../x"],
    [["--log-format=xml", "svc", "status"], "xml"],
    [["svc", "paths", "-o", "yaml"], "yaml"],
    [["svc", "status", "--instance", "x"], "--instance"],
    [["svc", "status", "-o", "yaml"], "yaml"],
    [["no-such-command"], "no-such-command"]
  ])("rdd %j", async (args, fragment) => {
    const r = await run(...args)
    expect(r.code).toBe(2)
    const line = r.stderr.trim().split("\n").at(-1) ?? ""
    expect(line).toMatch(/level=fatal msg=/)
    expect(line).toContain(fragment.replace(/"/g, "\\\""))
    expect(r.stderr).not.toMatch(/\n\s+at /) // no stack traces
  })
})

describe("svc status on a machine where nothing was created", () => {
  it("prints the three lines and exits 0, creating nothing", async () => {
    const r = await run("svc", "status")
    expect(r.code).toBe(0)
    expect(messages(r.stderr)).toEqual([
      "\"rancher-desktop-2\" control plane has been created: false",
      "\"rancher-desktop-2\" control plane has been started: false",
      "\"rancher-desktop-2\" control plane PID is: 0"
    ])
    expect(r.stdout).toBe("")
    expect(readdirSync(home)).toEqual([])
  })

  it("shows the lines even at --log-level=error, and JSON with -o json", async () => {
    const quiet = await run("--log-level=error", "svc", "status")
    expect(messages(quiet.stderr)).toHaveLength(3)
    const j = await run("--instance", "bats", "svc", "status", "-o", "json")
    expect(j.code).toBe(0)
    expect(JSON.parse(j.stdout)).toMatchObject({ instance: "rancher-desktop-bats", created: false, started: false, pid: 0 })
  })

  it("--log-format=json writes one JSON object per line", async () => {
    const r = await run("--log-format=json", "svc", "status")
    const lines = r.stderr.trim().split("\n").map((l) => JSON.parse(l) as Record<string, string>)
    expect(lines.map((l) => Object.keys(l))).toEqual([["level", "msg", "time"], ["level", "msg", "time"], ["level", "msg", "time"]])
  })
})

describe("svc paths", () => {
  const keys = ["args_file", "config", "db", "dir", "docker_socket", "k3s_config", "lima_home", "log_dir", "pid_file", "short_dir", "tls_dir"]

  it("-o json prints every key, sorted", async () => {
    const r = await run("svc", "paths", "-o", "json")
    expect(r.code).toBe(0)
    const obj = JSON.parse(r.stdout) as Record<string, string>
    expect(Object.keys(obj)).toEqual(keys)
    expect(obj["dir"]).toBe(`${home}/.local/share/rancher-desktop-2`)
  })

  it("-o shell is safe to source and defines RDD_DIR etc.", async () => {
    const odd = tempHome("rdd test $HOME `x` \"q\"-")
    try {
      const r = await runRdd(["--instance", "x7", "svc", "paths", "-o", "shell"], { home: odd.home })
      const out = execFileSync("bash", ["-c", `${r.stdout}\nprintf '%s\\n' "$RDD_DIR" "$RDD_LIMA_HOME"`], { encoding: "utf8" })
      expect(out).toBe(`${odd.home}/.local/share/rancher-desktop-x7\n${odd.home}/.rdx7/lima\n`)
    } finally {
      odd.cleanup()
    }
  })

  it("with a key prints just the value; the table is aligned", async () => {
    expect((await run("svc", "paths", "lima_home")).stdout).toBe(`${home}/.rd2/lima\n`)
    const table = (await run("svc", "paths")).stdout.trim().split("\n")
    expect(table).toHaveLength(keys.length)
    const valueColumn = new Set(table.map((l) => l.indexOf("/")))
    expect(valueColumn.size).toBe(1)
  })

  it("honours RDD_LOG_ROOT (not the RDD_LOG_DIR it exports) and needs no daemon", async () => {
    const r = await runRdd(["svc", "paths", "log_dir"], { home, env: { RDD_LOG_ROOT: "/var/tmp/rdd-logs", RDD_LOG_DIR: "/elsewhere" } })
    expect(r.stdout).toBe("/var/tmp/rdd-logs/rancher-desktop-2\n")
    expect(existsSync("/var/tmp/rdd-logs")).toBe(false)
  })
})

describe("version", () => {
  it("--version and version print version, commit and node version", async () => {
    for (const args of [["--version"], ["version"]]) {
      const r = await run(...args)
      expect(r.code).toBe(0)
      expect(r.stdout).toMatch(/^v\d+\.\d+\.\d+.* \(commit [0-9a-f]{4,}|unknown/)
      expect(r.stdout).toContain(`node ${process.version}`)
    }
  })

  it("plain rdd prints help and exits 0", async () => {
    const r = await run()
    expect(r.code).toBe(0)
    expect(r.stdout).toContain("svc")
  })
})

describe("limavm logs of a VM that does not exist", () => {
  it("exits 1 \"not found\" without a control plane, prints no path and starts nothing", async () => {
    const r = await run("limavm", "logs", "nosuch")
    expect(r.code).toBe(1)
    expect(r.stdout).toBe("")
    expect(messages(r.stderr)).toEqual([`LimaVM "nosuch" not found`])
    expect(existsSync(`${home}/.local/share/rancher-desktop-2/rdd.pid`)).toBe(false)
  })
})
