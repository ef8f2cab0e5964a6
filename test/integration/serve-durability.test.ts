/**
 * SPEC 3.5 / 6: `kill -9` of the daemon during a write load, then a restart:
 * every write that got a 2xx is there, and the store passes PRAGMA integrity_check.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { createRequire } from "node:module"
import * as path from "node:path"
import { startDaemon, stopAll } from "../support/daemon.js"

afterAll(stopAll, 30_000)

interface Db {
  pragma(source: string, options?: { simple: boolean }): unknown
  close(): void
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new (file: string, options?: { readonly?: boolean }) => Db

describe("durability", () => {
  it("keeps every acknowledged write across kill -9", async () => {
    const d = await startDaemon()
    const ns = "load"
    expect((await d.request("POST", "/api/v1/namespaces", { metadata: { name: ns } })).status).toBe(201)
    const acknowledged: Array<string> = []
    let killed = false
    const writer = async (w: number) => {
      for (let i = 0; !killed; i++) {
        const name = `w${w}-${i}`
        try {
          const r = await d.request("POST", `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data: { v: "x".repeat(200) } })
          if (r.status === 201) acknowledged.push(name)
        } catch {
          return // the daemon is gone
        }
      }
    }
    const writers = [0, 1, 2, 3].map(writer)
    const loadDeadline = Date.now() + 30_000
    while (acknowledged.length < 400 && Date.now() < loadDeadline) await new Promise((r) => setTimeout(r, 5))
    process.kill(d.pid, "SIGKILL")
    killed = true
    await d.exited
    await Promise.all(writers)
    expect(acknowledged.length).toBeGreaterThanOrEqual(400)

    const again = await startDaemon({ home: d.home, suffix: d.suffix })
    const list = await again.request("GET", `/api/v1/namespaces/${ns}/configmaps`)
    expect(list.status).toBe(200)
    const names = new Set((list.body.items as Array<{ metadata: { name: string } }>).map((i) => i.metadata.name))
    const missing = acknowledged.filter((n) => !names.has(n))
    expect(missing).toEqual([])
    expect(Number(list.body.metadata.resourceVersion)).toBeGreaterThan(acknowledged.length)
    expect(await again.stop()).toBe(0)

    const db = new Database(path.join(d.dir, "rdd.sqlite3"), { readonly: true })
    try {
      expect(db.pragma("integrity_check", { simple: true })).toBe("ok")
    } finally {
      db.close()
    }
  }, 90_000)
})
