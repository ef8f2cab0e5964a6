/**
 * Crash consistency (SPEC 3.5, 6): under a steady write load the daemon is killed
 * with SIGKILL at a random moment, 20 times over. After each kill, with the
 * daemon dead, better-sqlite3 itself runs `PRAGMA integrity_check` on
 * rdd.sqlite3; then `svc start` brings the instance back and every write that had
 * been acknowledged (2xx) must be there. Not one acknowledged write may be lost.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as https from "node:https"
import { type Kubeconfig } from "../security/Api.js"
import { awaitExit, type Instance, makeInstance } from "./support/Instance.js"
import { integrity } from "./support/Integrity.js"

const Repetitions = 20
const Writers = 6

let inst: Instance
beforeAll(async () => {
  inst = await makeInstance("crash")
  await inst.start()
  const r = await inst.request("/api/v1/namespaces", {
    method: "POST",
    body: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "crash" } })
  })
  if (r.status !== 201) throw new Error(`namespace: ${r.status} ${r.text}`)
}, 90_000)
afterAll(async () => {
  await inst?.dispose()
}, 60_000)

/** Writers on keep-alive connections, each creating ConfigMaps until the daemon dies; returns the acknowledged names. */
const writeLoad = (k: Kubeconfig, round: number) => {
  const acknowledged: Array<string> = []
  const agent = new https.Agent({ keepAlive: true, maxSockets: Writers, ca: k.ca })
  let stopped = false
  const post = (name: string) =>
    new Promise<number>((resolve) => {
      const body = JSON.stringify({
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, labels: { round: String(round) } },
        data: { payload: name.repeat(20) }
      })
      const req = https.request({
        host: "127.0.0.1",
        port: k.port,
        method: "POST",
        path: "/api/v1/namespaces/crash/configmaps",
        agent,
        headers: { Authorization: `Bearer ${k.adminToken}`, "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) }
      }, (res) => {
        res.resume()
        res.on("end", () => resolve(res.statusCode ?? 0))
        res.on("error", () => resolve(0))
      })
      req.on("error", () => resolve(0))
      req.end(body)
    })
  const writer = async (w: number) => {
    for (let n = 0; !stopped; n++) {
      const name = `r${round}-w${w}-n${n}`
      const code = await post(name)
      if (code === 201) acknowledged.push(name)
      else if (code === 0) return // the connection died with the daemon
      else throw new Error(`unexpected ${code} for ${name}`)
    }
  }
  const done = Promise.all(Array.from({ length: Writers }, (_, w) => writer(w)))
  return {
    acknowledged,
    finish: async () => {
      stopped = true
      await done
      agent.destroy()
    }
  }
}

describe(`kill -9 under write load, ${Repetitions} times`, () => {
  const lost: Array<string> = []
  const acknowledgedTotal: Array<number> = []

  it.each(Array.from({ length: Repetitions }, (_, i) => i))("round %i: integrity ok, no acknowledged write lost", async (round) => {
    const pid = inst.pid()
    expect(pid, "a daemon runs before the round").toBeDefined()
    const load = writeLoad(inst.kubeconfig(), round)
    // wait until the load is really flowing, then kill at a random moment within the next 300ms
    const deadline = Date.now() + 20_000
    while (load.acknowledged.length < 5) {
      if (Date.now() > deadline) throw new Error("the write load never got going")
      await new Promise((r) => setTimeout(r, 5))
    }
    await new Promise((r) => setTimeout(r, Math.floor(Math.random() * 300)))
    process.kill(pid!, "SIGKILL")
    await awaitExit(pid!)
    await load.finish()
    const acked = [...load.acknowledged]
    acknowledgedTotal.push(acked.length)

    // the daemon is dead: the store must be consistent as the kill left it
    expect(integrity(inst.paths["db"]!)).toBe("ok")

    await inst.start()
    const list = await inst.request(`/api/v1/namespaces/crash/configmaps?labelSelector=round%3D${round}`)
    expect(list.status).toBe(200)
    const present = new Set((list.json as { items: Array<{ metadata: { name: string } }> }).items.map((o) => o.metadata.name))
    const missing = acked.filter((n) => !present.has(n))
    lost.push(...missing)
    expect(missing, `acknowledged but lost after kill -9 (of ${acked.length} acknowledged)`).toEqual([])
  }, 120_000)

  it("in total: many writes acknowledged, none lost", () => {
    expect(acknowledgedTotal).toHaveLength(Repetitions)
    expect(acknowledgedTotal.reduce((a, b) => a + b, 0)).toBeGreaterThan(Repetitions * 5)
    expect(lost).toEqual([])
    const total = acknowledgedTotal.reduce((a, b) => a + b, 0)
    console.log(`crash consistency: ${Repetitions} kills, ${total} acknowledged writes (per round ${acknowledgedTotal.join(",")}), ${lost.length} lost`)
  })

  it("after a clean stop the store is intact too", async () => {
    const pid = inst.pid()!
    const r = await inst.rdd("svc", "stop", "--timeout=30s")
    expect(r.code).toBe(0)
    await awaitExit(pid)
    expect(integrity(inst.paths["db"]!)).toBe("ok")
  })
})
