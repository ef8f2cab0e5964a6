/**
 * @kubernetes/client-node 1.4 against the daemon: an informer (list + watch)
 * keeps working through a daemon restart and misses no event. client-node's
 * informer stops on connection errors (reference/kubernetes-wire.md 10.8), so
 * the test does what rdd's KubeClient layer does: on `error`, reload the
 * kubeconfig (the restarted daemon has new tokens) and start it again, which
 * resumes the watch from the last resourceVersion — the daemon must still have
 * that history after its restart (SQLite) and revisions must stay monotonic.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import * as k8s from "@kubernetes/client-node"
import { startDaemon, stopAll } from "../support/daemon.js"

afterAll(stopAll, 30_000)

const until = async (what: string, check: () => boolean, ms = 20_000) => {
  const end = Date.now() + ms
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

describe("client-node informer", () => {
  it("sees every event across a daemon restart", async () => {
    let d = await startDaemon()
    const ns = "inf"
    expect((await d.request("POST", "/api/v1/namespaces", { metadata: { name: ns } })).status).toBe(201)
    const kc = new k8s.KubeConfig()
    kc.loadFromFile(d.kubeconfig)
    const core = kc.makeApiClient(k8s.CoreV1Api)
    const informer = k8s.makeInformer(kc, `/api/v1/namespaces/${ns}/configmaps`, () => core.listNamespacedConfigMap({ namespace: ns }))
    const adds = new Map<string, number>()
    const deletes = new Set<string>()
    const rvs: Array<number> = []
    let stopped = false
    let restarts = 0
    informer.on("add", (o) => {
      adds.set(o.metadata!.name!, (adds.get(o.metadata!.name!) ?? 0) + 1)
      rvs.push(Number(o.metadata!.resourceVersion))
    })
    informer.on("update", (o) => rvs.push(Number(o.metadata!.resourceVersion)))
    informer.on("delete", (o) => deletes.add(o.metadata!.name!))
    const restart = () => {
      if (stopped) return
      setTimeout(() => {
        if (stopped) return
        restarts++
        try {
          kc.loadFromFile(d.kubeconfig)
        } catch {
          // the kubeconfig is rewritten by the next daemon; try again later
        }
        informer.start().catch(restart)
      }, 200)
    }
    informer.on("error", restart)
    await informer.start()

    const create = async (name: string) => {
      const r = await d.request("POST", `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name }, data: { n: name } })
      expect(r.status).toBe(201)
    }
    for (let i = 0; i < 10; i++) await create(`c${i}`)
    await until("the first ten adds", () => adds.size === 10)

    const home = d.home
    const suffix = d.suffix
    expect(await d.stop()).toBe(0)
    d = await startDaemon({ home, suffix })

    for (let i = 10; i < 20; i++) await create(`c${i}`)
    expect((await d.request("DELETE", `/api/v1/namespaces/${ns}/configmaps/c0`)).status).toBe(200)
    await until("every add and the delete after the restart", () => adds.size === 20 && deletes.has("c0"))
    stopped = true
    await informer.stop()

    expect(restarts).toBeGreaterThan(0)
    for (let i = 0; i < 20; i++) expect(adds.get(`c${i}`), `adds of c${i}`).toBe(1)
    for (let i = 1; i < rvs.length; i++) expect(rvs[i]!).toBeGreaterThan(rvs[i - 1]!)
  }, 60_000)

  it("rdd's KubeClient watch stream resumes across a daemon restart without loss or duplicates", async () => {
    let d = await startDaemon({ args: ["--controllers=-limavm,-app"] })
    const ns = "kc"
    expect((await d.request("POST", "/api/v1/namespaces", { metadata: { name: ns } })).status).toBe(201)
    const { KubeClient } = await import("../../src/services/KubeClient.js")
    const { forKubeconfig } = await import("../../src/layers/KubeClientLive.js")
    const { Core } = await import("../../src/domain/KubeObject.js")
    const { Effect, Fiber, Stream } = await import("effect")
    const seen: Array<string> = []
    const fiber = Effect.runFork(
      Effect.flatMap(KubeClient, (c) =>
        c.watch(Core.configmaps, { namespace: ns }).pipe(
          Stream.runForEach((e) => Effect.sync(() => {
            if (e.type !== "BOOKMARK") seen.push(`${e.type}:${e.object.metadata.name}`)
          }))
        )).pipe(Effect.provide(forKubeconfig(d.kubeconfig)))
    )
    try {
      const create = async (name: string) =>
        expect((await d.request("POST", `/api/v1/namespaces/${ns}/configmaps`, { metadata: { name } })).status).toBe(201)
      for (let i = 0; i < 5; i++) await create(`k${i}`)
      await until("five adds", () => seen.length === 5)
      const { home, suffix } = d
      expect(await d.stop()).toBe(0)
      d = await startDaemon({ home, suffix, args: ["--controllers=-limavm,-app"] })
      for (let i = 5; i < 10; i++) await create(`k${i}`)
      await until("ten adds after the restart", () => seen.filter((s) => s.startsWith("ADDED:")).length >= 10)
      const added = seen.filter((s) => s.startsWith("ADDED:"))
      expect(new Set(added).size).toBe(added.length)
      expect(added).toHaveLength(10)
    } finally {
      await Effect.runPromise(Fiber.interrupt(fiber))
    }
  }, 60_000)
})
