/**
 * The shutdown-notification protocol (SPEC 3.6). Controllers with `onShutdown`
 * own a ConfigMap `rdd-system/shutdown-<controller>` labelled
 * `shutdown.rancherdesktop.io/notification=true`. On the first shutdown signal
 * the daemon annotates every such ConfigMap `shutdown.rancherdesktop.io/shutdown=pending`;
 * each owner cleans up and sets `complete`; the daemon waits until all are
 * complete or the drain cap ends. Stale notification ConfigMaps of earlier runs
 * are deleted at startup. Any ConfigMap with the label takes part, so external
 * managers can join the protocol too.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import { Core, type KubeObject } from "../../domain/KubeObject.js"
import { KubeClient } from "../../services/KubeClient.js"
import { type Controller, Daemon, NotificationLabel, ShutdownAnnotation, SystemNamespace } from "./Controller.js"

export const DrainCap = Duration.seconds(45)

const selector = `${NotificationLabel}=true`

export const deleteStale = Effect.gen(function*() {
  const client = yield* KubeClient
  const { items } = yield* client.list(Core.configmaps, { namespace: SystemNamespace, labelSelector: selector })
  yield* Effect.forEach(items, (cm) =>
    client.delete({ type: Core.configmaps, namespace: SystemNamespace, name: cm.metadata.name ?? "" }).pipe(
      Effect.catchTag("NotFound", () => Effect.void)
    ), { discard: true })
})

const annotation = (o: KubeObject): string | undefined => o.metadata.annotations?.[ShutdownAnnotation]

/**
 * Registers a controller's notification ConfigMap and forks the fiber that runs
 * its cleanup when the ConfigMap turns `pending`, then marks it `complete`.
 */
export const register = (controller: Pick<Controller, "name">, onShutdown: Effect.Effect<void, never, KubeClient | Daemon>) =>
  Effect.gen(function*() {
    const client = yield* KubeClient
    const name = `shutdown-${controller.name}`
    const ref = { type: Core.configmaps, namespace: SystemNamespace, name }
    yield* client.create(Core.configmaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name, namespace: SystemNamespace, labels: { [NotificationLabel]: "true" } },
      data: { controller: controller.name }
    })
    const daemon = yield* Daemon
    yield* client.watch(Core.configmaps, { namespace: SystemNamespace, fieldSelector: `metadata.name=${name}` }).pipe(
      Stream.filter((e) => e.type !== "BOOKMARK" && e.type !== "DELETED" && annotation(e.object) === "pending"),
      Stream.take(1),
      Stream.runDrain,
      Effect.zipRight(Effect.logInfo(`controller ${controller.name}: shutting down`)),
      Effect.zipRight(onShutdown.pipe(Effect.provideService(KubeClient, client), Effect.provideService(Daemon, daemon))),
      Effect.zipRight(client.patch(ref, { metadata: { annotations: { [ShutdownAnnotation]: "complete" } } }, "merge")),
      Effect.catchAll((e) => Effect.logWarning(`controller ${controller.name}: shutdown notification failed: ${e.message}`)),
      Effect.forkScoped
    )
  })

/** Annotates every notification ConfigMap pending and waits (bounded by the caller) until all are complete. */
export const drain = Effect.gen(function*() {
  const client = yield* KubeClient
  const { items } = yield* client.list(Core.configmaps, { namespace: SystemNamespace, labelSelector: selector })
  if (items.length === 0) return
  yield* Effect.logInfo(`waiting for ${items.length} controller(s) to shut down`)
  yield* Effect.forEach(items, (cm) =>
    client.patch(
      { type: Core.configmaps, namespace: SystemNamespace, name: cm.metadata.name ?? "" },
      { metadata: { annotations: { [ShutdownAnnotation]: "pending" } } },
      "merge"
    ).pipe(Effect.catchTag("NotFound", () => Effect.void)), { discard: true })
  const pending = new Set(items.map((i) => i.metadata.name ?? ""))
  yield* client.watch(Core.configmaps, { namespace: SystemNamespace, labelSelector: selector }).pipe(
    Stream.tap((e) =>
      Effect.sync(() => {
        if (e.type === "BOOKMARK") return
        const name = e.object.metadata.name ?? ""
        if (e.type === "DELETED" || annotation(e.object) === "complete") pending.delete(name)
      })),
    Stream.takeUntil(() => pending.size === 0),
    Stream.runDrain
  )
}).pipe(Effect.asVoid)
