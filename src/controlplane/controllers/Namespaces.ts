/**
 * The namespace controller (SPEC 3.6): a deleted namespace is Terminating until
 * everything in it is gone; the controller deletes its contents (objects with
 * finalizers go when their finalizers are removed), then removes the
 * `kubernetes` finalizer from `spec.finalizers`, which lets the API remove the
 * namespace itself. One fiber per terminating namespace, woken by store events.
 */
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { Core, type KubeObject } from "../../domain/KubeObject.js"
import { KubeClient } from "../../services/KubeClient.js"
import { Api } from "../apiserver/Resources.js"
import type { BuiltinController } from "./Controller.js"

const finalizeNamespace = (name: string) =>
  Effect.gen(function*() {
    const api = yield* Api
    const client = yield* KubeClient
    const wake = yield* Queue.sliding<void>(1)
    const unsubscribe = api.store.subscribe((e) => {
      if (e.namespace === name) Queue.unsafeOffer(wake, undefined)
    })
    yield* Effect.addFinalizer(() => Effect.sync(unsubscribe))
    const system = { dryRun: false, user: "system:namespace-controller" }
    for (;;) {
      let remaining = 0
      for (const info of api.registry.all()) {
        if (!info.namespaced) continue
        const items = api.store.list(info, name)
        remaining += items.length
        const live = items.filter((o) => o.metadata.deletionTimestamp === undefined)
        yield* Effect.forEach(live, (o) =>
          api.delete(info, name, o.metadata.name ?? "", { propagationPolicy: "Background" }, system).pipe(Effect.ignore), { discard: true })
      }
      if (remaining === 0) break
      yield* Queue.take(wake)
    }
    const ns = yield* client.get({ type: Core.namespaces, name })
    if (ns._tag === "None") return
    const spec = (ns.value["spec"] ?? {}) as { finalizers?: ReadonlyArray<string> }
    const next: KubeObject = { ...ns.value, spec: { ...spec, finalizers: (spec.finalizers ?? []).filter((f) => f !== "kubernetes") } }
    yield* client.update({ type: Core.namespaces, name }, next).pipe(Effect.ignore)
    yield* Effect.logDebug(`namespace ${name}: contents removed, finalized`)
  }).pipe(Effect.scoped)

export const namespaceController: BuiltinController = {
  name: "namespace",
  run: Effect.gen(function*() {
    const client = yield* KubeClient
    const fibers = yield* FiberMap.make<string>()
    yield* client.watch(Core.namespaces).pipe(
      Stream.runForEach((e) =>
        e.type === "BOOKMARK" || e.type === "DELETED" || e.object.metadata.deletionTimestamp === undefined
          ? Effect.void
          : FiberMap.run(fibers, e.object.metadata.name ?? "", finalizeNamespace(e.object.metadata.name ?? ""), { onlyIfMissing: true })),
      Effect.catchAll((e) => Effect.logError(`namespace controller stopped: ${e.message}`)),
      Effect.forkScoped
    )
  })
}
