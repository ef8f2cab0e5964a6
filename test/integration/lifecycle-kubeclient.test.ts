/**
 * KubeClientLive against the real daemon: CRUD with typed errors, a watch that
 * sees changes, and — across a daemon restart (new port? new tokens, new
 * kubeconfig) — the same client reconnecting and the watch resuming.
 */
import { Chunk, Deferred, Effect, Fiber, Option, Stream } from "effect"
import { afterAll, describe, expect, it } from "vitest"
import { Core, type KubeObject } from "../../src/domain/KubeObject.js"
import * as KubeClientLive from "../../src/layers/KubeClientLive.js"
import { KubeClient } from "../../src/services/KubeClient.js"
import { startDaemon, stopAll } from "../support/daemon.js"

afterAll(() => stopAll(), 30_000)

const cm = (name: string, data: Record<string, string>): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default" }, data })
const ref = (name: string) => ({ type: Core.configmaps, namespace: "default", name })

describe("KubeClientLive on the real daemon", () => {
  it("CRUD, typed errors, and a watch that survives a daemon restart", async () => {
    const first = await startDaemon()
    const run = <A, E>(e: Effect.Effect<A, E, KubeClient>) => Effect.runPromise(Effect.provide(e, KubeClientLive.forKubeconfig(first.kubeconfig)))
    expect(await run(Effect.flatMap(KubeClient, (k) => k.readyz))).toBe(true)
    const created = await run(Effect.flatMap(KubeClient, (k) => k.create(Core.configmaps, cm("a", { x: "1" }))))
    expect(created.metadata.resourceVersion).toBeDefined()
    const dup = await run(Effect.flip(Effect.flatMap(KubeClient, (k) => k.create(Core.configmaps, cm("a", { x: "1" })))))
    expect(dup._tag).toBe("AlreadyExists")
    const patched = await run(Effect.flatMap(KubeClient, (k) => k.patch(ref("a"), { data: { y: "2" } }, "merge")))
    expect(patched["data"]).toEqual({ x: "1", y: "2" })
    const list = await run(Effect.flatMap(KubeClient, (k) => k.list(Core.configmaps, { namespace: "default" })))
    expect(list.items.map((o) => o.metadata.name)).toContain("a")
    expect(list.items[0]!.kind).toBe("ConfigMap")
    expect(await run(Effect.flatMap(KubeClient, (k) => k.get(ref("missing"))))).toEqual(Option.none())

    // one client (one layer) across the restart: it must follow the new kubeconfig
    const program = Effect.gen(function*() {
      const k = yield* KubeClient
      const listed = yield* Deferred.make<void>()
      const seen = yield* Effect.fork(
        k.watch(Core.configmaps, { namespace: "default" }).pipe(
          Stream.tap((e) => (e.type !== "BOOKMARK" && e.object.metadata.name === "a" ? Deferred.succeed(listed, undefined) : Effect.void)),
          Stream.filter((e) => e.type !== "BOOKMARK" && e.object.metadata.name === "b"),
          Stream.take(1),
          Stream.runCollect
        )
      )
      // the watch is established (its list delivered "a") before the daemon goes away
      yield* Deferred.await(listed).pipe(Effect.timeout("10 seconds"))
      yield* Effect.promise(() => first.stop())
      const second = yield* Effect.promise(() => startDaemon({ home: first.home, suffix: first.suffix }))
      yield* k.create(Core.configmaps, cm("b", { z: "3" })).pipe(Effect.retry({ times: 20 }))
      const events = yield* Fiber.join(seen).pipe(Effect.timeout("20 seconds"))
      yield* Effect.promise(() => second.stop())
      return Chunk.toReadonlyArray(events)
    })
    const events = await Effect.runPromise(Effect.provide(program, KubeClientLive.forKubeconfig(first.kubeconfig)))
    expect(events).toHaveLength(1)
    expect(events[0]!.type).toBe("ADDED")
  }, 90_000)
})
