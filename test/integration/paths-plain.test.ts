/**
 * A plain `rdd svc paths` is printed by the bin without Effect
 * (src/plain/paths.ts), and prints exactly what the full path prints: stdout,
 * stderr and the exit code are compared with the build's main.js run directly
 * (the full path, no shim), for every format, a KEY, another instance, the
 * XDG directories and developer mode. What the plain path leaves alone (usage
 * errors, debug output) is the full path's. "Without Effect" is shown by a copy
 * of the bin with only the shim and plain.js.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { PathKeys } from "../../src/domain/Instance.js"
import { read } from "../../src/plain/daemon.js"
import { text } from "../../src/plain/paths.js"
import { shimOnlyCopy, threeWays, timeless } from "../support/plainBin.js"
import { rddBin } from "../support/rdd.js"

let scratch: string
let home: string
let copy: string
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-paths-plain-"))
  home = path.join(scratch, "home")
  fs.mkdirSync(home)
  copy = shimOnlyCopy(path.join(scratch, "bin"))
}, 10_000)
afterAll(() => {
  fs.rmSync(scratch, { recursive: true, force: true })
})

const both = (args: ReadonlyArray<string>, env: Record<string, string> = {}) => threeWays(args, { home, copy, env })

describe("rdd svc paths, plain", () => {
  it("prints what the full path prints, in every format, without main.js", async () => {
    const cases: ReadonlyArray<[ReadonlyArray<string>, Record<string, string>]> = [
      [["svc", "paths"], {}],
      [["svc", "paths", "config"], {}],
      [["service", "paths", "-o", "json"], {}],
      [["svc", "paths", "--output=shell"], {}],
      [["--instance", "7", "svc", "paths", "--output", "json", "short_dir"], {}],
      [["svc", "paths", "-o", "table", "log_dir"], { RDD_INSTANCE: "qa" }],
      [["svc", "paths"], { XDG_DATA_HOME: path.join(scratch, "data"), XDG_STATE_HOME: path.join(scratch, "state") }],
      [["--log-format=json", "svc", "paths", "config"], { RDD_DEVELOPER_MODE: "true", RDD_LOG_LEVEL: "info" }]
    ]
    for (const [args, env] of cases) {
      const { plain, full, bare } = await both(args, env)
      const what = `${args.join(" ")} ${JSON.stringify(env)}`
      expect(full.code, `${what}: ${full.stderr}`).toBe(0)
      expect(plain.code, what).toBe(0)
      expect(plain.stdout, what).toBe(full.stdout)
      expect(plain.stderr, what).toBe(full.stderr)
      expect(bare.code, `${what}: ${bare.stderr}`).toBe(0)
      expect(bare.stdout, what).toBe(full.stdout)
    }
    // the facts themselves
    const json = JSON.parse((await both(["--instance", "7", "svc", "paths", "-o", "json"])).bare.stdout) as Record<string, string>
    expect(Object.keys(json)).toEqual([...PathKeys])
    expect(json["config"]).toContain("rancher-desktop-7")
    expect((await both(["svc", "paths", "config"], { RDD_INSTANCE: "qa" })).bare.stdout.trim()).toMatch(/rancher-desktop-qa\/config\.yaml$/)
  }, 60_000)

  it("leaves usage errors and debug output to the full path", async () => {
    const host = { env: { ...process.env, RDD_DEVELOPER_MODE: "false" }, script: rddBin, pathEnv: { home, platform: "linux" as const } }
    const plainText = (args: ReadonlyArray<string>) => {
      const line = read(args, host)
      return typeof line === "string" ? undefined : text(line, host)
    }
    expect(plainText(["svc", "paths", "config"])).toMatch(/config\.yaml$/)
    for (
      const args of [
        ["svc", "paths", "bogus"],
        ["svc", "paths", "-o", "yaml"],
        ["svc", "paths", "config", "log_dir"],
        ["svc", "paths", "--help"],
        ["--log-level=debug", "svc", "paths"],
        ["--instance", "bad/name", "svc", "paths"],
        ["svc", "status"]
      ]
    ) expect(plainText(args), args.join(" ")).toBeUndefined()
    // and the bin still reports them as before
    for (const args of [["svc", "paths", "bogus"], ["svc", "paths", "-o", "yaml"]]) {
      const { plain, full, bare } = await both(args)
      expect(plain.code, args.join(" ")).toBe(2)
      expect(timeless(plain.stderr)).toBe(timeless(full.stderr))
      // the copy without main.js cannot: proof that these went to the full path
      expect(bare.code).not.toBe(0)
    }
  }, 60_000)
})
