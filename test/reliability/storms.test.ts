/**
 * Concurrent start/stop storms (SPEC 2.2.5, 6; reference §10.1, 10.5): ten
 * simultaneous `svc start` of one instance start exactly one daemon and all exit
 * 0 once it is ready; ten simultaneous `svc stop` all exit 0 and leave nothing
 * running; a mixed storm of starts and stops never leaves two daemons, and the
 * instance works afterwards.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as path from "node:path"
import { type Instance, makeInstance } from "./support/Instance.js"

let inst: Instance | undefined
afterEach(async () => {
  await inst?.dispose()
  inst = undefined
}, 60_000)

/** the last lines of every log in the instance's log directory */
const logTail = (dir: string): string => {
  try {
    return fs.readdirSync(dir).map((f) => `${f}:\n${fs.readFileSync(path.join(dir, f), "utf8").split("\n").slice(-60).join("\n")}`).join("\n")
  } catch (e) {
    return String(e)
  }
}

const all = <A>(n: number, f: (i: number) => Promise<A>) => Promise.all(Array.from({ length: n }, (_, i) => f(i)))

describe("storms", () => {
  it("10 concurrent svc start: one daemon, all exit 0", async () => {
    inst = await makeInstance("storm-start")
    const i = inst
    const results = await all(10, () => i.rdd("svc", "start", "--timeout=90s"))
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join("\n---\n")).toEqual(Array(10).fill(0))
    expect(i.daemons()).toHaveLength(1)
    expect(i.pid()).toBe(i.daemons()[0])
    expect((await i.request("/readyz", { authorization: null })).status).toBe(200)
  }, 180_000)

  it("10 concurrent svc stop of a running daemon: all exit 0, nothing left running, no config.yaml", async () => {
    inst = await makeInstance("storm-stop")
    const i = inst
    await i.start()
    const results = await all(10, () => i.rdd("svc", "stop", "--timeout=60s"))
    expect(results.map((r) => r.code), results.map((r) => r.stderr).join("\n---\n")).toEqual(Array(10).fill(0))
    expect(i.daemons()).toEqual([])
    const status = JSON.parse((await i.rdd("svc", "status", "-o", "json")).stdout) as { started: boolean }
    expect(status.started).toBe(false)
  }, 180_000)

  it("a mixed storm of 3 rounds x (5 starts + 5 stops) never leaves two daemons, and the instance works afterwards", async () => {
    inst = await makeInstance("storm-mix")
    const i = inst
    for (let round = 0; round < 3; round++) {
      const results = await all(10, (k) =>
        k % 2 === 0 ? i.rdd("svc", "start", "--timeout=90s") : i.rdd("svc", "stop", "--timeout=60s"))
      // each command either did its job or lost the race cleanly: never a usage error, crash or hang
      for (const r of results) {
        expect(r.signal, r.stderr).toBeNull()
        // a stop that timed out once in a fresh-clone CI run (2026-12-05): keep the daemons' side
        expect([0, 1], r.code === 0 || r.code === 1 ? r.stderr : `${r.stderr}\n--- daemon logs ---\n${logTail(i.paths["log_dir"]!)}`).toContain(r.code)
        expect(r.stderr).not.toMatch(/^\s+at /m)
      }
      expect(i.daemons().length).toBeLessThanOrEqual(1)
    }
    await i.start()
    expect(i.daemons()).toHaveLength(1)
    expect((await i.request("/api/v1/namespaces")).status).toBe(200)
    const stop = await i.rdd("svc", "stop")
    expect(stop.code).toBe(0)
    expect(i.daemons()).toEqual([])
  }, 300_000)
})
