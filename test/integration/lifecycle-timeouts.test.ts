/**
 * Exit 4 on the real daemon, for every command that waits on it: `svc start`,
 * `svc config` (autostart), `rdd ctl` (autostart, the 90s cap), `svc stop` and
 * `svc delete` — by freezing the daemon with ProcessManager "freeze" (SIGSTOP)
 * and thawing it afterwards; no test-only switch in production code. Also: a
 * stop while a start is waiting, and `stop --wait=false` leaving config.yaml to
 * the daemon. Frozen daemons are thawed and killed by pid in cleanup.
 */
import * as fs from "node:fs"
import * as path from "node:path"
import { describe, expect, it } from "vitest"
import { isAlive, q, signal, until, useInstances } from "./lifecycle-support.js"

const instance = useInstances(30_000)

/** Signals pending on a stopped process (/proc/<pid>/status ShdPnd), as a bit mask. */
const pending = (pid: number): bigint => {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8")
  const shd = /^ShdPnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? "0"
  const sig = /^SigPnd:\s*([0-9a-f]+)$/m.exec(status)?.[1] ?? "0"
  return BigInt(`0x${shd}`) | BigInt(`0x${sig}`)
}
const SIGINT = 1n << 1n
const SIGTERM = 1n << 14n

describe("exit 4 on a frozen daemon", () => {
  it("svc start, svc config and rdd ctl time out (4); stop and delete time out (4) saying what they left; delete removes nothing", async () => {
    const i = instance()
    const N = q(i.name)
    const quick = await i.rdd(["svc", "start", "--wait=false", "-o", "json"])
    expect(quick.code).toBe(0)
    const pid = JSON.parse(quick.stdout).pid as number
    // frozen once it owns the instance (its pid file), so it is the daemon every command waits for
    await until("the daemon to own the instance", () => fs.existsSync(path.join(i.dir, "rdd.pid")) && fs.readFileSync(path.join(i.dir, "rdd.pid"), "utf8") === String(pid))
    await signal(pid, "freeze")
    // rdd ctl has no deadline of its own: autostart's 90s cap bounds it (runs alongside the rest)
    const ctl = i.rdd(["ctl", "get", "ns"], { timeoutMs: 130_000 })

    const start = await i.rdd(["svc", "start", "--timeout=2s", "-o", "json"])
    expect(start.code).toBe(4)
    expect(start.messages.join("\n")).toContain(`timed out after 2s waiting for ${N} control plane to be ready: context deadline exceeded`)
    expect(start.messages.join("\n")).toContain(`keeps running (pid ${pid}); it was not confirmed ready in time`)
    expect(JSON.parse(start.stdout)).toMatchObject({ outcome: "timeout", exitCode: 4 })
    expect(start.levels.at(-1)).toBe("error")

    const config = await i.rdd(["svc", "config", "--timeout=2s"])
    expect(config.code).toBe(4)
    expect(config.stdout).toBe("")
    expect(config.messages.join("\n")).toContain("context deadline exceeded")

    const stop = await i.rdd(["svc", "stop", "--timeout=1s", "-o", "json"])
    expect(stop.code).toBe(4)
    expect(stop.messages.join("\n")).toContain(`waiting for ${N} control plane with pid ${pid} to stop: context deadline exceeded`)
    expect(stop.messages.join("\n")).toContain(`sent SIGTERM at the deadline; the control plane process (pid ${pid}) is still running`)
    expect(stop.ms).toBeGreaterThanOrEqual(3000) // the deadline, then 2s confirming
    expect(pending(pid) & SIGINT).toBe(SIGINT)
    expect(pending(pid) & SIGTERM).toBe(SIGTERM)

    // (the concurrent `rdd ctl` polls the start gate: its momentary temp files are not the instance's)
    const listing = () => fs.readdirSync(i.dir).filter((f) => !f.endsWith(".tmp")).sort()
    const before = listing()
    const del = await i.rdd(["svc", "delete", "--timeout=1s"])
    expect(del.code).toBe(4)
    expect(del.messages.join("\n")).toContain("nothing was removed: the instance directory")
    expect(del.messages.join("\n")).toContain("was preserved")
    expect(listing()).toEqual(before)
    expect(fs.existsSync(i.logDir)).toBe(true)
    expect((await i.rdd(["svc", "status"])).messages[0]).toBe(`${N} control plane has been created: true`)

    const c = await ctl
    expect(c.code).toBe(4)
    expect(c.messages.join("\n")).toContain(`timed out after 1m30s waiting for ${N} control plane to be ready: context deadline exceeded`)
    expect(c.ms).toBeGreaterThanOrEqual(89_000)
    expect(c.ms).toBeLessThan(110_000)

    // thawed, it handles the pending SIGINT and SIGTERM: gone at once
    await signal(pid, "thaw")
    await until("the thawed daemon to exit", async () => !(await isAlive(pid)))
    const finalDelete = await i.rdd(["svc", "delete"])
    expect(finalDelete.code).toBe(0)
    expect(fs.existsSync(i.dir)).toBe(false)
  }, 150_000)

  it("svc stop while svc start is waiting: the start ends fast (no hang to its deadline), the stop exits 0", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "create"])).code).toBe(0)
    const start = i.rdd(["svc", "start", "--timeout=60s"])
    const pidFile = path.join(i.dir, "rdd.pid")
    await until("the daemon's pid file", () => fs.existsSync(pidFile))
    const pid = Number(fs.readFileSync(pidFile, "utf8"))
    await signal(pid, "freeze")
    const stop = i.rdd(["svc", "stop", "--timeout=30s"])
    await until("the stop's SIGINT to be pending", () => (pending(pid) & SIGINT) !== 0n)
    await signal(pid, "thaw")
    const [s, t] = await Promise.all([start, stop])
    expect(t.code).toBe(0)
    expect(t.messages).toEqual([`${q(i.name)} control plane has stopped`])
    expect(s.ms).toBeLessThan(20_000)
    if (s.code !== 0) {
      expect(s.code).toBe(1)
      expect(s.messages.join("\n")).toContain("control plane exited while waiting")
    }
    expect(i.pids()).toEqual([])
  }, 60_000)

  it("stop --wait=false leaves config.yaml to the daemon, which removes it when it exits", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "start"])).code).toBe(0)
    const pid = i.pids()[0]!
    const config = path.join(i.dir, "config.yaml")
    await signal(pid, "freeze")
    const stop = await i.rdd(["svc", "stop", "--wait=false"])
    expect(stop.code).toBe(0)
    expect(stop.messages).toEqual([`${q(i.name)} control plane is stopping`])
    expect(fs.existsSync(config)).toBe(true) // the CLI never removes it
    await signal(pid, "thaw")
    await until("the daemon to exit", async () => !(await isAlive(pid)))
    expect(fs.existsSync(config)).toBe(false) // the daemon did, on its clean exit
    expect(fs.existsSync(path.join(i.dir, "args.json"))).toBe(true)
  }, 60_000)
})
