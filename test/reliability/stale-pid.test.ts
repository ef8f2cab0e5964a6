/**
 * Stale pid files never make rdd lie or block (SPEC 2.7, 6; reference §10.7,
 * 10.27): whatever `rdd.pid` holds — a dead pid, a pid reused by another program
 * or by another instance's daemon, garbage — `svc status` reports "not started",
 * and `svc start` starts a daemon that replaces the file, without signalling the
 * process the stale pid belongs to.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import { existsSync, readFileSync } from "node:fs"
import * as path from "node:path"
import { messages, runRdd, tempHome } from "../support/rdd.js"
import { sweepDaemons } from "../security/Sweep.js"
import { daemonsOf, isAlive } from "./support/Instance.js"
import { variants } from "./support/StalePid.js"

const cleanups: Array<() => void> = []
afterEach(() => {
  while (cleanups.length > 0) cleanups.pop()!()
})

const setup = () => {
  const t = tempHome("rdd-stale-")
  cleanups.push(() => {
    sweepDaemons(t.home)
    t.cleanup()
  })
  return { home: t.home, serviceDir: path.join(t.home, ".local", "share", "rancher-desktop-stale") }
}

const rdd = (home: string, ...args: Array<string>) =>
  runRdd(["--instance", "stale", ...args], { home, env: { RDD_LOG_LEVEL: undefined, RDD_LOG_ROOT: undefined }, timeoutMs: 60_000 })

describe.each(variants.map((v) => [v.name, v] as const))("rdd.pid holding %s", (_name, v) => {
  it("svc status says not started, PID 0, and leaves the file alone", async () => {
    const { home, serviceDir } = setup()
    cleanups.push(await v.plant(serviceDir))
    const before = readFileSync(path.join(serviceDir, "rdd.pid"))
    const r = await rdd(home, "svc", "status")
    expect(r.code).toBe(0)
    expect(messages(r.stderr)).toEqual(expect.arrayContaining([
      "\"rancher-desktop-stale\" control plane has been started: false",
      "\"rancher-desktop-stale\" control plane PID is: 0"
    ]))
    // status is read-only: it does not "clean up" (reference §10.3)
    expect(existsSync(path.join(serviceDir, "rdd.pid"))).toBe(true)
    expect(readFileSync(path.join(serviceDir, "rdd.pid"))).toEqual(before)
    const j = await rdd(home, "svc", "status", "-o", "json")
    expect(JSON.parse(j.stdout)).toMatchObject({ started: false, pid: 0 })
  })
})

describe.each(variants.map((v) => [v.name, v] as const))("rdd.pid holding %s, then svc start", (_name, v) => {
  it("starts a new daemon that replaces the pid file; the stale pid's process is left alone", async () => {
    const { home, serviceDir } = setup()
    const created = await rdd(home, "svc", "create")
    expect(created.code, created.stderr).toBe(0)
    cleanups.push(await v.plant(serviceDir))
    const planted = readFileSync(path.join(serviceDir, "rdd.pid"), "utf8").trim()
    const plantedPid = Number(planted)
    const wasAlive = Number.isInteger(plantedPid) && plantedPid > 1 && isAlive(plantedPid)
    const r = await rdd(home, "svc", "start", "--timeout=60s")
    try {
      expect(r.code, r.stderr).toBe(0)
      const daemons = daemonsOf("stale")
      expect(daemons).toHaveLength(1)
      expect(readFileSync(path.join(serviceDir, "rdd.pid"), "utf8").trim()).toBe(String(daemons[0]))
      if (wasAlive) expect(isAlive(plantedPid), "the unrelated process was signalled").toBe(true)
    } finally {
      const stop = await rdd(home, "svc", "stop", "--timeout=30s")
      expect(stop.code, stop.stderr).toBe(0)
    }
    if (wasAlive) expect(isAlive(plantedPid), "svc stop signalled the unrelated process").toBe(true)
  }, 120_000)
})
