/**
 * An in-memory object store behind the KubeClient interface for the LimaVM
 * controller's unit tests: resourceVersions, generation bumps on spec changes,
 * finalizers with deletionTimestamp, status written only through patchStatus,
 * merge patches, list with label/field (metadata.name) selectors, and a watch
 * that starts with the current objects then streams every change. Admission
 * plugins can be plugged in so the same store exercises them. Time comes from
 * the Effect Clock (TestClock friendly).
 */
import { Clock, Effect, Option, PubSub, Stream } from "effect"
import type { AdmissionPlugin, Operation } from "../../src/controlplane/apiserver/Admission.js"
import { Rejected } from "../../src/domain/Errors.js"
import type { KubeObject, ObjectRef, ResourceType, WatchEvent } from "../../src/domain/KubeObject.js"
import type { Json } from "../../src/domain/k8s/Json.js"
import * as MergePatch from "../../src/domain/k8s/MergePatch.js"
import { AlreadyExists, Conflict, type KubeClientShape, type ListOptions } from "../../src/services/KubeClient.js"
import { NotFound } from "../../src/domain/Errors.js"

const typeKey = (t: ResourceType) => `${t.group}/${t.resource}`
const keyOf = (t: ResourceType, ns: string | undefined, name: string) => `${typeKey(t)}|${t.namespaced ? ns ?? "default" : ""}|${name}`

interface Change {
  readonly type: ResourceType
  readonly event: WatchEvent
}

export interface FakeKube {
  readonly client: KubeClientShape
  readonly objects: Map<string, KubeObject>
  readonly admission: Array<AdmissionPlugin>
  readonly find: (type: ResourceType, namespace: string | undefined, name: string) => KubeObject | undefined
  readonly all: (type: ResourceType) => ReadonlyArray<KubeObject>
  /** number of writes so far (to assert "no hot loop") */
  readonly writes: () => number
}

const hasStatusSubresource = (t: ResourceType) => t.group !== ""

export const make: Effect.Effect<FakeKube> = Effect.gen(function*() {
  const objects = new Map<string, KubeObject>()
  const types = new Map<string, ResourceType>()
  const hub = yield* PubSub.unbounded<Change>()
  const admission: Array<AdmissionPlugin> = []
  let rv = 100
  let writes = 0
  let uid = 0

  const publish = (type: ResourceType, event: WatchEvent) => PubSub.publish(hub, { type, event })
  const stamp = (o: KubeObject): KubeObject => ({ ...o, metadata: { ...o.metadata, resourceVersion: String(++rv) } })

  const admit = (op: Operation, type: ResourceType, ns: string, name: string, object: KubeObject | undefined, old: KubeObject | undefined, dryRun: boolean) =>
    Effect.gen(function*() {
      let obj = object
      const selected = admission.filter((p) => p.group === type.group && p.resource === type.resource && p.operations.includes(op))
      const req = { operation: op, group: type.group, resource: type.resource, subresource: "", namespace: ns, name, oldObject: old, dryRun, user: "test" }
      for (const p of selected) if (p.mutate !== undefined && obj !== undefined) obj = yield* p.mutate({ ...req, object: obj })
      for (const p of selected) if (p.validate !== undefined) yield* p.validate({ ...req, object: obj })
      return obj
    }).pipe(Effect.mapError((d) => new Rejected({ message: `admission webhook denied the request: ${d.reason}`, code: d.code ?? 403 })))

  const store = (type: ResourceType, o: KubeObject, event: "ADDED" | "MODIFIED") =>
    Effect.gen(function*() {
      const stored = stamp(o)
      types.set(typeKey(type), type)
      objects.set(keyOf(type, o.metadata.namespace, o.metadata.name ?? ""), stored)
      writes++
      yield* publish(type, { type: event, object: stored })
      return stored
    })

  const remove = (type: ResourceType, o: KubeObject) =>
    Effect.gen(function*() {
      objects.delete(keyOf(type, o.metadata.namespace, o.metadata.name ?? ""))
      writes++
      yield* publish(type, { type: "DELETED", object: stamp(o) })
    })

  /** an update that leaves a terminating object without finalizers removes it */
  const storeOrRemove = (type: ResourceType, o: KubeObject) =>
    o.metadata.deletionTimestamp !== undefined && (o.metadata.finalizers ?? []).length === 0
      ? Effect.as(remove(type, o), o)
      : store(type, o, "MODIFIED")

  const get = (ref: ObjectRef) => Effect.sync(() => Option.fromNullable(objects.get(keyOf(ref.type, ref.namespace, ref.name))))
  const mustGet = (ref: ObjectRef) =>
    Effect.flatMap(get(ref), Option.match({
      onNone: () => Effect.fail(new NotFound({ message: `${ref.type.resource} ${JSON.stringify(ref.name)} not found` })),
      onSome: Effect.succeed
    }))

  const matching = (type: ResourceType, options: ListOptions | undefined) => (o: KubeObject) => {
    if (type.namespaced && options?.namespace !== undefined && o.metadata.namespace !== options.namespace) return false
    const label = options?.labelSelector
    if (label !== undefined && label !== "") {
      for (const term of label.split(",")) {
        const [k, v] = term.split("=")
        if (o.metadata.labels?.[k ?? ""] !== v) return false
      }
    }
    const field = options?.fieldSelector
    if (field !== undefined && field.startsWith("metadata.name=") && o.metadata.name !== field.slice("metadata.name=".length)) return false
    return true
  }
  const listNow = (type: ResourceType, options?: ListOptions) =>
    [...objects.entries()].filter(([k]) => k.startsWith(`${typeKey(type)}|`)).map(([, o]) => o).filter(matching(type, options))

  const specChanged = (a: KubeObject, b: KubeObject) => JSON.stringify(a["spec"]) !== JSON.stringify(b["spec"])

  const writeUpdate = (ref: ObjectRef, old: KubeObject, next0: KubeObject, keepStatus: boolean, dryRun = false) =>
    Effect.gen(function*() {
      const next1: KubeObject = {
        ...next0,
        ...(keepStatus && hasStatusSubresource(ref.type) ? { status: old["status"] } : {}),
        metadata: {
          ...next0.metadata,
          uid: old.metadata.uid!,
          creationTimestamp: old.metadata.creationTimestamp!,
          ...(old.metadata.deletionTimestamp === undefined ? {} : { deletionTimestamp: old.metadata.deletionTimestamp }),
          generation: (old.metadata.generation ?? 1) + (hasStatusSubresource(ref.type) && specChanged(old, next0) ? 1 : 0)
        }
      }
      const next = (yield* admit("UPDATE", ref.type, ref.namespace ?? "", ref.name, next1, old, dryRun))!
      if (dryRun) return next
      return yield* storeOrRemove(ref.type, next)
    })

  const client: KubeClientShape = {
    readyz: Effect.succeed(true),
    get,
    list: (type, options) => Effect.sync(() => ({ items: listNow(type, options), resourceVersion: String(rv) })),
    watch: (type, options) =>
      Stream.unwrapScoped(Effect.gen(function*() {
        const sub = yield* PubSub.subscribe(hub)
        const initial = listNow(type, options).map((object): WatchEvent => ({ type: "ADDED", object }))
        const live = Stream.fromQueue(sub).pipe(
          Stream.filter((c) => typeKey(c.type) === typeKey(type)),
          Stream.map((c) => c.event),
          Stream.filter((e) => e.type === "BOOKMARK" || matching(type, options)(e.object))
        )
        return Stream.concat(Stream.fromIterable(initial), live)
      })),
    create: (type, object, options) =>
      Effect.gen(function*() {
        const ns = type.namespaced ? object.metadata.namespace ?? "default" : undefined
        const name = object.metadata.name ?? ""
        const now = new Date(yield* Clock.currentTimeMillis).toISOString().replace(/\.\d+Z$/, "Z")
        const base: KubeObject = {
          ...object,
          metadata: { ...object.metadata, ...(ns === undefined ? {} : { namespace: ns }), uid: `uid-${++uid}`, creationTimestamp: now, generation: 1 }
        }
        const admitted = (yield* admit("CREATE", type, ns ?? "", name, base, undefined, options?.dryRun === true))!
        if (objects.has(keyOf(type, ns, name))) {
          return yield* new AlreadyExists({ message: `${type.resource} ${JSON.stringify(name)} already exists` })
        }
        if (options?.dryRun === true) return admitted
        const { status: _status, ...withoutStatus } = admitted
        return yield* store(type, hasStatusSubresource(type) ? withoutStatus as KubeObject : admitted, "ADDED")
      }),
    update: (ref, object, options) =>
      Effect.gen(function*() {
        const old = yield* mustGet(ref)
        if (object.metadata.resourceVersion !== undefined && object.metadata.resourceVersion !== old.metadata.resourceVersion) {
          return yield* new Conflict({ message: `the object has been modified; please apply your changes to the latest version and try again` })
        }
        return yield* writeUpdate(ref, old, object, true, options?.dryRun === true)
      }),
    patch: (ref, patch, _type, options) =>
      Effect.gen(function*() {
        const old = yield* mustGet(ref)
        const next = MergePatch.apply(old as unknown as Json, patch as Json) as unknown as KubeObject
        return yield* writeUpdate(ref, old, next, true, options?.dryRun === true)
      }),
    patchStatus: (ref, patch) =>
      Effect.gen(function*() {
        const old = yield* mustGet(ref)
        const merged = MergePatch.apply(old as unknown as Json, { status: (patch as { status?: Json }).status ?? null }) as unknown as KubeObject
        return yield* store(ref.type, { ...old, status: merged["status"] }, "MODIFIED")
      }),
    delete: (ref, options) =>
      Effect.gen(function*() {
        const old = yield* mustGet(ref)
        yield* admit("DELETE", ref.type, ref.namespace ?? "", ref.name, undefined, old, options?.dryRun === true)
        if (options?.dryRun === true) return
        if ((old.metadata.finalizers ?? []).length === 0) return yield* remove(ref.type, old)
        if (old.metadata.deletionTimestamp !== undefined) return
        const now = new Date(yield* Clock.currentTimeMillis).toISOString().replace(/\.\d+Z$/, "Z")
        yield* store(ref.type, { ...old, metadata: { ...old.metadata, deletionTimestamp: now } }, "MODIFIED")
      })
  }

  return {
    client,
    objects,
    admission,
    find: (type, ns, name) => objects.get(keyOf(type, ns, name)),
    all: (type) => listNow(type),
    writes: () => writes
  }
})
