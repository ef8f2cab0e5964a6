/**
 * The shutdown-notification protocol (SPEC 3.6) and the signal contract
 * (SPEC 2.7): the first signal annotates notification ConfigMaps `pending` and
 * waits for `complete` while the API still serves; a second signal exits 1 at
 * once; stale notification ConfigMaps are deleted at the next start.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { startDaemon, stopAll } from "../support/daemon.js"

afterAll(stopAll, 30_000)

/** Only the builtin controllers: the external notification ConfigMap is the only one to wait for. */
const NoSelectable = ["--controllers=-limavm,-app"]

const notification = (name: string) => ({
  metadata: { name, namespace: "rdd-system", labels: { "shutdown.rancherdesktop.io/notification": "true" } }
})
const cmPath = (name: string) => `/api/v1/namespaces/rdd-system/configmaps/${name}`

const pollUntil = async <A>(what: string, probe: () => Promise<A | undefined>, ms = 10_000): Promise<A> => {
  const end = Date.now() + ms
  for (;;) {
    const v = await probe()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe("shutdown", () => {
  it("waits for notification owners to complete, then exits 0 and cleans up", async () => {
    const d = await startDaemon({ args: NoSelectable })
    expect((await d.request("POST", "/api/v1/namespaces/rdd-system/configmaps", notification("ext"))).status).toBe(201)
    d.child.kill("SIGINT")
    const pending = await pollUntil("the pending annotation", async () => {
      const r = await d.request("GET", cmPath("ext"))
      return r.body?.metadata?.annotations?.["shutdown.rancherdesktop.io/shutdown"] === "pending" ? r.body : undefined
    })
    expect(pending.metadata.name).toBe("ext")
    // still draining: the API serves and the process is alive until the owner completes
    expect((await d.request("GET", "/api/v1/namespaces")).status).toBe(200)
    const patched = await d.request("PATCH", cmPath("ext"), { metadata: { annotations: { "shutdown.rancherdesktop.io/shutdown": "complete" } } }, {
      headers: { "Content-Type": "application/merge-patch+json" }
    })
    expect(patched.status).toBe(200)
    expect(await d.exited).toBe(0)
    expect(fs.existsSync(path.join(d.dir, "rdd.pid"))).toBe(false)
    expect(fs.existsSync(d.kubeconfig)).toBe(false)
    const log = fs.readFileSync(d.stderrFile, "utf8")
    expect(log).toContain("waiting for 1 controller(s) to shut down")

    // the next start removes the stale notification ConfigMap
    const again = await startDaemon({ home: d.home, suffix: d.suffix, args: NoSelectable })
    expect((await again.request("GET", cmPath("ext"))).status).toBe(404)
    expect(await again.stop()).toBe(0)
  })

  it("a client still in its TLS handshake does not hold the stop: the server cuts its connection", async () => {
    const d = await startDaemon({ args: NoSelectable })
    // plain TCP and no ClientHello: the server waits for the handshake (Node's timeout: 120 s),
    // as it does for a client that connects just as the daemon stops
    const raw = net.connect(d.port, "127.0.0.1")
    raw.on("error", () => undefined)
    await new Promise<void>((resolve) => raw.once("connect", () => resolve()))
    const cut = new Promise<void>((resolve) => raw.once("close", () => resolve()))
    // within the helper's 15 s bound (before the fix: until the client gave up)
    expect(await d.stop()).toBe(0)
    await cut
  })

  it("a second signal during the drain exits 1 at once", async () => {
    const d = await startDaemon({ args: NoSelectable })
    expect((await d.request("POST", "/api/v1/namespaces/rdd-system/configmaps", notification("slow"))).status).toBe(201)
    d.child.kill("SIGINT")
    await pollUntil("the drain", async () => (fs.readFileSync(d.stderrFile, "utf8").includes("waiting for 1 controller(s)") ? true : undefined))
    const t = Date.now()
    d.child.kill("SIGTERM")
    expect(await d.exited).toBe(1)
    expect(Date.now() - t).toBeLessThan(2_000)
  })
})
