/**
 * The soak (issue 7 part 3, `--long` mode, not in CI): `RDD_SOAK=1 npm run
 * test:reliability` runs the daemon for 10 minutes (RDD_SOAK_MINUTES to change
 * it) under a steady mix of creates, updates, deletes, lists and watchers, and
 * samples its RSS every 5 seconds. After a 2-minute warm-up, RSS must be steady:
 * the last quarter's median within 20% (and 40 MB) of the first post-warm-up
 * quarter's, and no error from the API along the way.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import * as https from "node:https"
import { type Instance, makeInstance } from "./support/Instance.js"

const enabled = process.env["RDD_SOAK"] === "1"
const minutes = Number(process.env["RDD_SOAK_MINUTES"] ?? "10")
const WarmupMs = Math.min(2 * 60_000, (minutes * 60_000) / 4)

const rssMb = (pid: number): number => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
  return m === null ? NaN : Number(m[1]) / 1024
}

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.floor(s.length / 2)] ?? NaN
}

let inst: Instance
beforeAll(async () => {
  if (!enabled) return
  inst = await makeInstance("soak")
  await inst.start()
  await inst.request("/api/v1/namespaces", { method: "POST", body: JSON.stringify({ apiVersion: "v1", kind: "Namespace", metadata: { name: "soak" } }) })
}, 90_000)
afterAll(async () => {
  if (enabled) await inst?.dispose()
}, 60_000)

describe.skipIf(!enabled)(`soak: ${minutes} minutes of steady load`, () => {
  it("RSS stays steady and every request succeeds", async () => {
    const k = inst.kubeconfig()
    const pid = inst.pid()!
    const base = "/api/v1/namespaces/soak/configmaps"
    const agent = new https.Agent({ keepAlive: true, maxSockets: 4, ca: k.ca })
    const call = (method: string, p: string, body?: unknown) =>
      new Promise<number>((resolve, reject) => {
        const text = body === undefined ? undefined : JSON.stringify(body)
        const headers: Record<string, string | number> = { Authorization: `Bearer ${k.adminToken}` }
        if (text !== undefined) Object.assign(headers, { "Content-Type": method === "PATCH" ? "application/merge-patch+json" : "application/json", "Content-Length": Buffer.byteLength(text) })
        const req = https.request({ host: "127.0.0.1", port: k.port, method, path: p, agent, headers }, (res) => {
          res.resume()
          res.on("end", () => resolve(res.statusCode ?? 0))
        })
        req.on("error", reject)
        req.end(text)
      })
    // watchers that reconnect when their server-side timeout ends
    let running = true
    const watchers = Array.from({ length: 10 }, () => (async () => {
      while (running) {
        await new Promise<void>((resolve) => {
          const req = https.get({ host: "127.0.0.1", port: k.port, path: `${base}?watch=true&timeoutSeconds=30`, ca: k.ca, headers: { Authorization: `Bearer ${k.adminToken}` } }, (res) => {
            res.resume()
            res.on("end", () => resolve())
            res.on("error", () => resolve())
          })
          req.on("error", () => resolve())
        })
      }
    })())
    const samples: Array<{ t: number; mb: number }> = []
    const started = Date.now()
    const end = started + minutes * 60_000
    let nextSample = started
    let n = 0
    const failures: Array<string> = []
    while (Date.now() < end) {
      const name = `soak-${n % 500}`
      const codes = [
        await call("POST", base, { apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { n: String(n), pad: "x".repeat(2048) } }),
        await call("PATCH", `${base}/${name}`, { data: { patched: "yes" } }),
        await call("GET", `${base}/${name}`),
        ...(n % 50 === 0 ? [await call("GET", base)] : []),
        await call("DELETE", `${base}/${name}`)
      ]
      if (codes.some((c) => c >= 300)) failures.push(`round ${n}: ${codes.join(",")}`)
      n++
      if (Date.now() >= nextSample) {
        samples.push({ t: Date.now() - started, mb: rssMb(pid) })
        nextSample += 5_000
      }
    }
    running = false
    agent.destroy()
    await Promise.race([Promise.all(watchers), new Promise((r) => setTimeout(r, 35_000))])
    const steady = samples.filter((s) => s.t >= WarmupMs)
    const quarter = Math.max(1, Math.floor(steady.length / 4))
    const early = median(steady.slice(0, quarter).map((s) => s.mb))
    const late = median(steady.slice(-quarter).map((s) => s.mb))
    console.log(`soak: ${n} rounds in ${minutes} min; RSS after warm-up ${early.toFixed(1)} MB -> ${late.toFixed(1)} MB (max ${Math.max(...samples.map((s) => s.mb)).toFixed(1)} MB); ${failures.length} failed rounds`)
    expect(failures.slice(0, 10)).toEqual([])
    expect(late).toBeLessThanOrEqual(Math.max(early * 1.2, early + 40))
  }, (minutes + 3) * 60_000)
})

describe.skipIf(enabled)("soak", () => {
  it("runs only with RDD_SOAK=1 (10 minutes; not in CI)", () => {
    expect(enabled).toBe(false)
  })
})
