/**
 * The garbage collector (SPEC 3.4, 3.6), driven by ownerReferences:
 * - Background: when an owner is gone, dependents whose owners are ALL gone are
 *   deleted (a dependent with another live owner just loses the dangling reference);
 * - Foreground: an owner being deleted with the `foregroundDeletion` finalizer
 *   has its dependents deleted first and keeps the finalizer until no dependent
 *   with `blockOwnerDeletion: true` remains;
 * - Orphan: an owner with the `orphan` finalizer has its references removed from
 *   the dependents, then the finalizer removed.
 * It keeps an index (owner uid → dependents, live uids) updated from store events,
 * so a deletion costs work proportional to its dependents, not to the store.
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import type { KubeObject } from "../../domain/KubeObject.js"
import { Api, type ApiShape } from "../apiserver/Resources.js"
import type { ResourceInfo } from "../apiserver/Registry.js"
import { collectionKey, type StoredEvent } from "../storage/Store.js"
import type { BuiltinController } from "./Controller.js"

type Work = { readonly _tag: "OwnerGone"; readonly uid: string } | { readonly _tag: "OwnerTerminating"; readonly key: string }

const System = { dryRun: false, user: "system:garbage-collector" }

const keyOf = (collection: string, namespace: string, name: string) => `${collection}|${namespace}|${name}`

export const garbageCollector: BuiltinController = {
  name: "garbagecollector",
  run: Effect.gen(function*() {
    const api = yield* Api
    const dependents = new Map<string, Set<string>>()
    const uids = new Map<string, string>()
    const queue = yield* Queue.unbounded<Work>()

    const index = (key: string, o: KubeObject | undefined, add: boolean) => {
      if (o === undefined) return
      for (const ref of o.metadata.ownerReferences ?? []) {
        let set = dependents.get(ref.uid)
        if (add) {
          if (set === undefined) dependents.set(ref.uid, set = new Set())
          set.add(key)
        } else if (set !== undefined) {
          set.delete(key)
          if (set.size === 0) dependents.delete(ref.uid)
        }
      }
    }
    const terminating = (o: KubeObject) =>
      o.metadata.deletionTimestamp !== undefined &&
      (o.metadata.finalizers ?? []).some((f) => f === "orphan" || f === "foregroundDeletion")

    const observe = (e: StoredEvent) => {
      const key = keyOf(e.collection, e.namespace, e.name)
      const uid = e.object.metadata.uid
      index(key, e.prev, false)
      if (e.type === "DELETED") {
        if (uid !== undefined) {
          uids.delete(uid)
          if (dependents.has(uid)) Queue.unsafeOffer(queue, { _tag: "OwnerGone", uid })
        }
        // a dependent going away may unblock a foreground owner
        for (const ref of e.object.metadata.ownerReferences ?? []) {
          const owner = uids.get(ref.uid)
          if (owner !== undefined) Queue.unsafeOffer(queue, { _tag: "OwnerTerminating", key: owner })
        }
        return
      }
      index(key, e.object, true)
      if (uid !== undefined) uids.set(uid, key)
      if (terminating(e.object)) Queue.unsafeOffer(queue, { _tag: "OwnerTerminating", key })
      // a dependent created after its owner vanished
      for (const ref of e.object.metadata.ownerReferences ?? []) {
        if (!uids.has(ref.uid)) Queue.unsafeOffer(queue, { _tag: "OwnerGone", uid: ref.uid })
      }
    }

    const unsubscribe = api.store.subscribe(observe)
    yield* Effect.addFinalizer(() => Effect.sync(unsubscribe))
    for (const info of api.registry.all()) {
      for (const o of api.store.list(info)) {
        observe({ rev: 0, type: "ADDED", collection: collectionKey(info), namespace: o.metadata.namespace ?? "", name: o.metadata.name ?? "", object: o })
      }
    }

    yield* Queue.take(queue).pipe(
      Effect.flatMap((w) => (w._tag === "OwnerGone" ? ownerGone(api, dependents, uids, w.uid) : ownerTerminating(api, dependents, w.key))),
      Effect.catchAllCause((c) => Effect.logWarning(`garbage collector: ${c.toString()}`)),
      Effect.forever,
      Effect.forkScoped
    )
  })
}

const infoOf = (api: ApiShape, collection: string): ResourceInfo | undefined =>
  api.registry.all().find((r) => collectionKey(r) === collection)

const lookup = (api: ApiShape, key: string): { info: ResourceInfo; object: KubeObject } | undefined => {
  const [collection, namespace, name] = key.split("|") as [string, string, string]
  const info = infoOf(api, collection)
  const object = info === undefined ? undefined : api.store.get(info, namespace, name)
  return info === undefined || object === undefined ? undefined : { info, object }
}

const withoutOwner = (o: KubeObject, uid: string): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, ownerReferences: (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid) }
})

const ownerGone = (api: ApiShape, dependents: Map<string, Set<string>>, uids: Map<string, string>, uid: string) =>
  Effect.forEach(uids.has(uid) ? [] : [...(dependents.get(uid) ?? [])], (key) => {
    const found = lookup(api, key)
    if (found === undefined) return Effect.void
    const { info, object } = found
    const ns = object.metadata.namespace ?? ""
    const name = object.metadata.name ?? ""
    const liveOwners = (object.metadata.ownerReferences ?? []).filter((r) => uids.has(r.uid))
    if (liveOwners.length === 0) {
      return object.metadata.deletionTimestamp !== undefined
        ? Effect.void
        : api.delete(info, ns, name, { propagationPolicy: "Background" }, System).pipe(Effect.ignore)
    }
    return api.update(info, ns, name, withoutOwner(object, uid), System).pipe(Effect.ignore)
  }, { discard: true })

const ownerTerminating = (api: ApiShape, dependents: Map<string, Set<string>>, key: string) =>
  Effect.gen(function*() {
    const found = lookup(api, key)
    if (found === undefined) return
    const { info, object } = found
    if (object.metadata.deletionTimestamp === undefined) return
    const uid = object.metadata.uid ?? ""
    const finalizers = object.metadata.finalizers ?? []
    const deps = [...(dependents.get(uid) ?? [])].map((k) => lookup(api, k)).filter((d) => d !== undefined)
    let remove: string | undefined
    if (finalizers.includes("orphan")) {
      yield* Effect.forEach(deps, (d) =>
        api.update(d.info, d.object.metadata.namespace ?? "", d.object.metadata.name ?? "", withoutOwner(d.object, uid), System).pipe(Effect.ignore),
        { discard: true })
      remove = "orphan"
    } else if (finalizers.includes("foregroundDeletion")) {
      yield* Effect.forEach(deps.filter((d) => d.object.metadata.deletionTimestamp === undefined), (d) =>
        api.delete(d.info, d.object.metadata.namespace ?? "", d.object.metadata.name ?? "", { propagationPolicy: "Foreground" }, System).pipe(Effect.ignore),
        { discard: true })
      const blocking = deps.filter((d) =>
        lookup(api, keyOf(collectionKey(d.info), d.object.metadata.namespace ?? "", d.object.metadata.name ?? "")) !== undefined &&
        (d.object.metadata.ownerReferences ?? []).some((r) => r.uid === uid && r.blockOwnerDeletion === true))
      if (blocking.length === 0) remove = "foregroundDeletion"
    }
    if (remove === undefined) return
    const latest = api.store.get(info, object.metadata.namespace ?? "", object.metadata.name ?? "")
    if (latest === undefined) return
    const next: KubeObject = { ...latest, metadata: { ...latest.metadata, finalizers: (latest.metadata.finalizers ?? []).filter((f) => f !== remove) } }
    yield* api.update(info, latest.metadata.namespace ?? "", latest.metadata.name ?? "", next, System).pipe(Effect.ignore)
  })
