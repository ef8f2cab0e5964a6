/**
 * The loop every sample controller of the `rdd` group shares, as client-go's
 * workqueue pattern: watches turn events into object keys, one worker reconciles
 * a key at a time (a burst for one key collapses into one pass), and a failed
 * pass is retried after a pause. A reconcile reads the current state itself
 * (level-triggered), so a lost or repeated event does no harm.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type { KubeObject, ResourceType } from "../../../domain/KubeObject.js"
import type { KubeClientShape, KubeError } from "../../../services/KubeClient.js"

/** namespace/name of a namespaced object */
export interface Key {
  readonly namespace: string
  readonly name: string
}

const RetryAfter = Duration.seconds(1)

export interface Source {
  readonly type: ResourceType
  readonly labelSelector?: string
  /** the key(s) an event of this type wakes; undefined = none */
  readonly keyOf: (object: KubeObject) => Key | undefined
}

export const run = (
  controller: string,
  kube: KubeClientShape,
  sources: ReadonlyArray<Source>,
  reconcile: (key: Key) => Effect.Effect<void, KubeError>
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.gen(function*() {
    const queue = yield* Queue.unbounded<string>()
    const pending = new Set<string>()
    const enqueue = (key: Key) =>
      Effect.suspend(() => {
        const k = `${key.namespace}/${key.name}`
        if (pending.has(k)) return Effect.void
        pending.add(k)
        return Queue.offer(queue, k)
      })
    const worker = Effect.gen(function*() {
      const k = yield* Queue.take(queue)
      pending.delete(k)
      const [namespace, name] = k.split("/") as [string, string]
      yield* reconcile({ namespace, name }).pipe(
        Effect.catchAll((e) =>
          Effect.logDebug(`${controller}: reconcile of ${k} failed: ${e.message}; retrying`).pipe(
            Effect.zipRight(Effect.sleep(RetryAfter)),
            Effect.zipRight(enqueue({ namespace, name }))
          )
        )
      )
    })
    yield* Effect.forkScoped(Effect.forever(worker))
    // A watch that fails or ends is opened again; its initial list is the resync.
    for (const s of sources) {
      yield* kube.watch(s.type, s.labelSelector === undefined ? {} : { labelSelector: s.labelSelector }).pipe(
        Stream.runForEach((event) => {
          if (event.type === "BOOKMARK") return Effect.void
          const key = s.keyOf(event.object)
          return key === undefined ? Effect.void : enqueue(key)
        }),
        Effect.catchAll((e) => Effect.logDebug(`${controller}: watch of ${s.type.resource} failed: ${e.message}; retrying`)),
        Effect.zipRight(Effect.sleep(RetryAfter)),
        Effect.forever,
        Effect.forkScoped
      )
    }
  })

/** The key of an object itself. */
export const keyOfObject = (o: KubeObject): Key | undefined =>
  o.metadata.name === undefined ? undefined : { namespace: o.metadata.namespace ?? "", name: o.metadata.name }

/** An owner reference that makes `owner` the controller of a dependent: the garbage collector deletes the dependent with it. */
export const controllerRef = (owner: KubeObject) => ({
  apiVersion: owner.apiVersion,
  kind: owner.kind,
  name: owner.metadata.name!,
  uid: owner.metadata.uid!,
  controller: true,
  blockOwnerDeletion: true
})
