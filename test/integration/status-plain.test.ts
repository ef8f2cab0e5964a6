/**
 * A plain `rdd svc status` is told by the bin without Effect
 * (src/plain/status.ts), and says exactly what the full path says: the
 * bin's stderr is compared, timestamps aside, with the build's main.js run
 * directly (the full path, no shim) for the same instance in every state and log
 * format; what the plain path leaves alone (`-o json`, debug level, usage errors)
 * is the full path's. "Without Effect" is shown by a copy of the bin with only the
 * shim and plain.js.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { read } from "../../src/plain/daemon.js"
import { lines } from "../../src/plain/status.js"
import { startDaemon, stopAll, type TestDaemon, uniqueSuffix } from "../support/daemon.js"
import { shimOnlyCopy, threeWays, timeless } from "../support/plainBin.js"
import { rddBin, runRdd } from "../support/rdd.js"

let scratch: string
let copy: string
beforeAll(() => {
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-status-plain-"))
  copy = shimOnlyCopy(path.join(scratch, "bin"))
}, 10_000)
afterAll(async () => {
  await stopAll()
  fs.rmSync(scratch, { recursive: true, force: true })
}, 60_000)

const both = (args: ReadonlyArray<string>, home: string, env: Record<string, string> = {}) => threeWays(args, { home, copy, env })

describe("rdd svc status, plain", () => {
  let d: TestDaemon
  let home: string
  const absent = uniqueSuffix()
  beforeAll(async () => {
    d = await startDaemon()
    home = d.home
    // `svc create` writes args.json; the test daemon is started without it, as `svc serve` is
    const r = await runRdd(["--instance", d.suffix, "svc", "create"], { home, env: { RDD_DEVELOPER_MODE: "false" } })
    expect(r.code, r.stderr).toBe(0)
  }, 60_000)

  it("says what the full path says, in every state and log format, without main.js", async () => {
    const cases: ReadonlyArray<[ReadonlyArray<string>, Record<string, string>]> = [
      [["--instance", absent, "svc", "status"], {}],
      [["--instance", d.suffix, "svc", "status"], {}],
      [["--instance", d.suffix, "service", "status", "-o", "text"], {}],
      [["--instance", d.suffix, "--log-format=json", "svc", "status"], {}],
      [["--instance", d.suffix, "--log-level=error", "svc", "status"], {}],
      [["svc", "status"], { RDD_INSTANCE: d.suffix, RDD_DEVELOPER_MODE: "true", RDD_LOG_LEVEL: "info" }]
    ]
    for (const [args, env] of cases) {
      const { plain, full, bare } = await both(args, home, env)
      const what = `${args.join(" ")} ${JSON.stringify(env)}`
      expect(full.code, `${what}: ${full.stderr}`).toBe(0)
      expect(plain.code, what).toBe(0)
      expect(plain.stdout, what).toBe(full.stdout)
      expect(timeless(plain.stderr), what).toBe(timeless(full.stderr))
      expect(bare.code, `${what}: ${bare.stderr}`).toBe(0)
      expect(timeless(bare.stderr), what).toBe(timeless(full.stderr))
    }
    // the facts themselves
    const { plain } = await both(["--instance", d.suffix, "svc", "status"], home)
    expect(plain.stderr).toContain(`control plane has been created: true`)
    expect(plain.stderr).toContain(`control plane has been started: true`)
    expect(plain.stderr).toContain(`control plane PID is: ${d.pid}`)
  }, 60_000)

  it("leaves -o json, debug output and usage errors to the full path", async () => {
    const host = { env: { ...process.env, RDD_DEVELOPER_MODE: "false" }, script: rddBin, pathEnv: { home, platform: "linux" as const } }
    const at = { isTTY: false, now: new Date() }
    expect(lines(read(["--instance", d.suffix, "svc", "status", "-o", "json"], host), host, at)).toBeUndefined()
    expect(lines(read(["--instance", d.suffix, "--log-level=debug", "svc", "status"], host), host, at)).toBeUndefined()
    expect(lines(read(["--instance", d.suffix, "svc", "status", "--bogus"], host), host, at)).toBeUndefined()
    expect(lines(read(["--instance", "bad/name", "svc", "status"], host), host, at)).toBeUndefined()
    expect(lines(read(["--instance", d.suffix, "svc", "status"], host), host, at)).toHaveLength(3)
    // and those still work through the bin
    const json = await runRdd(["--instance", d.suffix, "svc", "status", "-o", "json"], { home, env: { RDD_DEVELOPER_MODE: "false" } })
    expect(json.code).toBe(0)
    expect(JSON.parse(json.stdout)).toMatchObject({ started: true, pid: d.pid, ready: true })
    const bad = await runRdd(["--instance", d.suffix, "svc", "status", "--bogus"], { home, env: { RDD_DEVELOPER_MODE: "false" } })
    expect(bad.code).toBe(2)
  }, 60_000)

  it("a stopped daemon, and a pid file naming a live process that is not the daemon, are not running", async () => {
    expect(await d.stop()).toBe(0)
    const stopped = await both(["--instance", d.suffix, "svc", "status"], home)
    expect(timeless(stopped.plain.stderr)).toBe(timeless(stopped.full.stderr))
    expect(stopped.plain.stderr).toContain("control plane has been started: false")
    // a reused pid: this test's own process
    fs.writeFileSync(path.join(d.dir, "rdd.pid"), String(process.pid))
    const reused = await both(["--instance", d.suffix, "svc", "status"], home)
    expect(timeless(reused.plain.stderr)).toBe(timeless(reused.full.stderr))
    expect(reused.plain.stderr).toContain("control plane PID is: 0")
  }, 60_000)
})
