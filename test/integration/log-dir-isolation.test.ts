/**
 * `eval "$(rdd svc paths -o shell)"` (docs/operations.md) exports RDD_LOG_DIR into
 * the shell. That export must not change where *other* instances keep their logs:
 * a later `rdd --instance b svc start` must not rotate instance a's logs and
 * `rdd --instance b svc delete` must not remove them. Two instances in one temp HOME,
 * through the built CLI.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { runRdd, tempHome } from "../support/rdd.js"

const base = { RDD_LOG_LEVEL: "info", RDD_LOG_DIR: undefined, RDD_LOG_ROOT: undefined, RDD_KEEP_LOGS: undefined }
const homes: Array<() => void> = []
afterEach(() => {
  for (const c of homes.splice(0)) c()
})

/** what `eval "$(rdd svc paths -o shell)"` puts in the environment */
const shellExports = (stdout: string): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const line of stdout.trim().split("\n")) {
    const m = /^export (RDD_[A-Z0-9_]+)=("(?:[^"\\]|\\.)*")$/.exec(line)
    expect(m, line).not.toBeNull()
    env[m![1]!] = JSON.parse(m![2]!) as string
  }
  return env
}

describe("svc paths -o shell exports are harmless to other instances", () => {
  it("instance b started and deleted after eval of a's paths keeps its own logs and leaves a's alone", async () => {
    const { home, cleanup } = tempHome("rdd-logiso-")
    homes.push(cleanup)
    const a = await runRdd(["--instance", "isoa", "svc", "paths", "-o", "shell"], { home, env: base })
    expect(a.code).toBe(0)
    const exported = shellExports(a.stdout)
    const aLogDir = exported["RDD_LOG_DIR"]!
    expect(aLogDir).toBe(path.join(home, ".local", "state", "rancher-desktop-isoa"))
    mkdirSync(aLogDir, { recursive: true })
    writeFileSync(path.join(aLogDir, "rdd.stderr.log"), "instance a's log\n")
    const env = { ...base, ...exported }
    const b = (...args: Array<string>) => runRdd(["--instance", "isob", ...args], { home, env, timeoutMs: 60_000 })
    try {
      const paths = await b("svc", "paths", "log_dir")
      expect(paths.stdout).toBe(`${path.join(home, ".local", "state", "rancher-desktop-isob")}\n`)
      const started = await b("svc", "start")
      expect(started.code, started.stderr).toBe(0)
      // a's log was neither rotated nor written to; b logs in its own dir
      expect(readdirSync(aLogDir)).toEqual(["rdd.stderr.log"])
      expect(readFileSync(path.join(aLogDir, "rdd.stderr.log"), "utf8")).toBe("instance a's log\n")
      expect(existsSync(path.join(home, ".local", "state", "rancher-desktop-isob", "rdd.stderr.log"))).toBe(true)
      const deleted = await b("svc", "delete")
      expect(deleted.code, deleted.stderr).toBe(0)
      expect(readFileSync(path.join(aLogDir, "rdd.stderr.log"), "utf8")).toBe("instance a's log\n")
      expect(existsSync(path.join(home, ".local", "state", "rancher-desktop-isob"))).toBe(false)
    } finally {
      await b("svc", "delete")
    }
  }, 90_000)

  it("RDD_LOG_ROOT moves every instance's log dir under it, one per instance", async () => {
    const { home, cleanup } = tempHome("rdd-logiso-")
    homes.push(cleanup)
    const root = path.join(home, "logs")
    for (const suffix of ["isoa", "isob"]) {
      const r = await runRdd(["--instance", suffix, "svc", "paths", "log_dir"], { home, env: { ...base, RDD_LOG_ROOT: root } })
      expect(r.stdout).toBe(`${path.join(root, `rancher-desktop-${suffix}`)}\n`)
    }
    expect(existsSync(root)).toBe(false)
    rmSync(root, { recursive: true, force: true })
  })
})
