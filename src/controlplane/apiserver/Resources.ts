/**
 * The verbs of the API on any resource type: get, list, create, update, patch,
 * delete, deletecollection (watch lives in Watch.ts). This is the ONE internal
 * request path: the HTTPS handlers and the in-process KubeClient both call it, so
 * validation, admission and storage are the same whichever way a write arrives.
 *
 * A write is computed optimistically outside the store's write lock (admission
 * plugins may call the API themselves), then committed under the lock only if the
 * object is still the one the computation started from; otherwise it is retried
 * (an explicit resourceVersion precondition fails with 409 instead).
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import type { KubeObject, ObjectMeta } from "../../domain/KubeObject.js"
import type { Json } from "../../domain/k8s/Json.js"
import * as Status from "../../domain/k8s/Status.js"
import * as Eager from "../Eager.js"
import type { EventType, StoreShape, WriteOp } from "../storage/Store.js"
import type { AdmissionChain, Operation } from "./Admission.js"
import * as ApiError from "./ApiError.js"
import * as Meta from "./Meta.js"
import { checkNamespace, decodeBody, finalState, merged, parseContinue } from "./ObjectRules.js"
import * as Patch from "./Patch.js"
import * as Registry from "./Registry.js"
import * as Selectors from "./Selectors.js"
import * as ServerSideApply from "./ServerSideApply.js"
import { strategyFor } from "./Strategy.js"
import * as Validation from "./Validation.js"
import * as Views from "./Views.js"

export interface WriteOptions {
  readonly dryRun?: boolean
  /** Strict (reject unknown fields), Warn or Ignore (default: drop silently) */
  readonly fieldValidation?: string
  readonly fieldManager?: string
  readonly user?: string
}

export interface ListQuery {
  readonly labelSelector?: string
  readonly fieldSelector?: string
  readonly limit?: number
  readonly continue?: string
}

export interface ListResult {
  readonly items: ReadonlyArray<KubeObject>
  readonly resourceVersion: string
  readonly continue?: string
}

export interface DeleteOptions {
  readonly propagationPolicy?: string
  readonly preconditions?: { readonly uid?: string; readonly resourceVersion?: string }
}

export interface PatchRequest {
  readonly contentType: string
  readonly body: unknown
  readonly force?: boolean
}

/**
 * The namespace in the URL ("" for cluster-scoped resources and all-namespace lists).
 * `create` runs when called (Eager.ts): its result is an Exit when every step finished
 * at once, so call it where the write is to happen, never ahead to run later or twice.
 */
export interface ApiShape {
  readonly registry: Registry.Registry
  readonly admission: AdmissionChain
  readonly store: StoreShape
  readonly get: (info: Registry.ResourceInfo, namespace: string, name: string) => Effect.Effect<KubeObject, ApiError.ApiError>
  readonly list: (info: Registry.ResourceInfo, namespace: string, q: ListQuery) => Effect.Effect<ListResult, ApiError.ApiError>
  readonly create: (info: Registry.ResourceInfo, namespace: string, body: unknown, o: WriteOptions) => Effect.Effect<KubeObject, ApiError.ApiError>
  readonly update: (
    info: Registry.ResourceInfo,
    namespace: string,
    name: string,
    body: unknown,
    o: WriteOptions,
    subresource?: string
  ) => Effect.Effect<KubeObject, ApiError.ApiError>
  readonly patch: (
    info: Registry.ResourceInfo,
    namespace: string,
    name: string,
    patch: PatchRequest,
    o: WriteOptions,
    subresource?: string
  ) => Effect.Effect<{ readonly object: KubeObject; readonly created: boolean }, ApiError.ApiError>
  readonly delete: (
    info: Registry.ResourceInfo,
    namespace: string,
    name: string,
    d: DeleteOptions,
    o: WriteOptions
  ) => Effect.Effect<KubeObject, ApiError.ApiError>
  readonly deleteCollection: (
    info: Registry.ResourceInfo,
    namespace: string,
    q: ListQuery,
    d: DeleteOptions,
    o: WriteOptions
  ) => Effect.Effect<ReadonlyArray<KubeObject>, ApiError.ApiError>
}

export class Api extends Context.Tag("rdd/controlplane/Api")<Api, ApiShape>() {}

const gr = (info: Registry.ResourceInfo): Status.GroupResource => ({ group: info.group, resource: info.resource })
const notFound = (info: Registry.ResourceInfo, name: string) => ApiError.of(Status.notFound(gr(info), name))

/** The outcome of computing a write. */
type Decision =
  | { readonly _tag: "Write"; readonly type: EventType; readonly object: KubeObject; readonly extra?: ReadonlyArray<WriteOp> }
  | { readonly _tag: "Noop"; readonly object: KubeObject }

const objectKey = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`

export const make = (store: StoreShape, registry: Registry.Registry, admission: AdmissionChain): ApiShape => {
  const collection = (info: Registry.ResourceInfo) => ({ group: info.group, resource: info.resource })

  const admit = (
    info: Registry.ResourceInfo,
    operation: Operation,
    subresource: string,
    namespace: string,
    name: string,
    object: KubeObject | undefined,
    oldObject: KubeObject | undefined,
    o: WriteOptions
  ) =>
    admission.admit({
      operation,
      group: info.group,
      resource: info.resource,
      subresource,
      namespace,
      name,
      object,
      oldObject,
      dryRun: o.dryRun === true,
      user: o.user ?? "system-admin"
    })

  /** Runs compute against the current object and commits it if nothing changed meanwhile. */
  const write = (
    info: Registry.ResourceInfo,
    namespace: string,
    name: string,
    o: WriteOptions,
    compute: (current: KubeObject | undefined) => Effect.Effect<Decision, ApiError.ApiError>
  ): Effect.Effect<{ readonly object: KubeObject; readonly type: EventType | "Noop" }, ApiError.ApiError> => {
    const attempt = (n: number): Effect.Effect<{ readonly object: KubeObject; readonly type: EventType | "Noop" }, ApiError.ApiError> =>
      Eager.gen(function*() {
        const current = store.get(collection(info), namespace, name)
        const decision = yield* compute(current)
        if (decision._tag === "Noop") return { object: decision.object, type: "Noop" as const }
        if (o.dryRun === true) return { object: decision.object, type: decision.type }
        const committed = yield* Eager.mapError(
          store.commitIf(() => store.get(collection(info), namespace, name) === current, [
            { type: decision.type, collection: collection(info), namespace, name, object: decision.object },
            ...(decision.extra ?? [])
          ]),
          ApiError.fromStorage
        )
        if (committed === undefined) {
          if (n >= 16) return yield* Effect.fail(ApiError.of(Status.conflict(gr(info), name)))
          return yield* attempt(n + 1)
        }
        return { object: committed[0]!, type: decision.type }
      })
    return attempt(0)
  }

  const prepareNew = (info: Registry.ResourceInfo, body: KubeObject, o: WriteOptions) =>
    Eager.gen(function*() {
      const strategy = strategyFor(info)
      if (o.fieldValidation === "Strict") {
        const unknown = strategy.unknownFields(body)
        if (unknown.length > 0) return yield* Effect.fail(Validation.strictError(info, unknown))
      }
      return strategy.dropUnknownFields(body)
    })

  const get: ApiShape["get"] = (info, namespace, name) => {
    const o = store.get(collection(info), namespace, name)
    return o === undefined ? Effect.fail(notFound(info, name)) : Effect.succeed(o)
  }

  const list: ApiShape["list"] = (info, namespace, q) =>
    Effect.gen(function*() {
      const pred = yield* Selectors.compile(q.labelSelector, q.fieldSelector, info)
      const after = yield* parseContinue(q.continue)
      const resourceVersion = String(store.revision())
      const all = store.list(collection(info), info.namespaced && namespace !== "" ? namespace : undefined)
      const items: Array<KubeObject> = []
      const limit = q.limit !== undefined && q.limit > 0 ? q.limit : Infinity
      let next: string | undefined
      for (const item of all) {
        if (after !== undefined && objectKey(item) <= after) continue
        if (!pred(item)) continue
        if (items.length >= limit) {
          next = Buffer.from(JSON.stringify({ k: objectKey(items[items.length - 1]!) })).toString("base64url")
          break
        }
        items.push(item)
      }
      return { items, resourceVersion, ...(next === undefined ? {} : { continue: next }) }
    })

  const create: ApiShape["create"] = (info, namespace, rawBody, o) =>
    Eager.gen(function*() {
      let body = yield* decodeBody(info, rawBody)
      const bodyNs = body.metadata.namespace
      if (info.namespaced) {
        if (bodyNs !== undefined && bodyNs !== "" && bodyNs !== namespace) {
          return yield* Effect.fail(ApiError.badRequest("the namespace of the provided object does not match the namespace sent on the request"))
        }
      }
      body = yield* prepareNew(info, body, o)
      const generated = body.metadata.name === undefined || body.metadata.name === ""
      const name = !generated ? body.metadata.name! : body.metadata.generateName ? Meta.generateName(body.metadata.generateName) : ""
      const meta: ObjectMeta = Meta.compactMeta({
        ...body.metadata,
        name,
        namespace: info.namespaced ? namespace : undefined,
        uid: Meta.uid(),
        creationTimestamp: Meta.now(),
        resourceVersion: undefined,
        deletionTimestamp: undefined,
        deletionGracePeriodSeconds: undefined,
        generation: 1,
        selfLink: undefined
      })
      const strategy = strategyFor(info)
      const object = yield* strategy.validate(strategy.prepareForCreate({ ...body, metadata: meta }), undefined)
      yield* checkNamespace(store, info, namespace, name)
      const admitted = (yield* admit(info, "CREATE", "", namespace, name, object, undefined, o)) ?? object
      const final = yield* strategy.beforeStore(admitted)
      const result = yield* write(info, namespace, name, o, (current) =>
        current !== undefined
          ? Effect.fail(ApiError.of(Status.alreadyExists(gr(info), name)))
          : Effect.succeed<Decision>({ _tag: "Write", type: "ADDED", object: final }))
      return result.object
    })

  /** Shared tail of update and patch: validation, admission, finalizer-driven removal. */
  const updateWith = (
    info: Registry.ResourceInfo,
    namespace: string,
    name: string,
    o: WriteOptions,
    subresource: string,
    incoming: (current: KubeObject) => Effect.Effect<KubeObject, ApiError.ApiError>
  ) =>
    write(info, namespace, name, o, (current) =>
      Effect.gen(function*() {
        if (current === undefined) return yield* Effect.fail(notFound(info, name))
        if (subresource === "status" && !info.statusSubresource) return yield* Effect.fail(ApiError.pathNotFound())
        const body = yield* incoming(current)
        const rv = body.metadata.resourceVersion
        if (rv !== undefined && rv !== "" && rv !== current.metadata.resourceVersion) {
          return yield* Effect.fail(ApiError.of(Status.conflict(gr(info), name)))
        }
        const bodyNamespace = body.metadata.namespace
        if (info.namespaced && bodyNamespace !== undefined && bodyNamespace !== "" && bodyNamespace !== namespace) {
          return yield* Effect.fail(ApiError.badRequest("the namespace of the provided object does not match the namespace sent on the request"))
        }
        if (body.metadata.name !== undefined && body.metadata.name !== name) {
          return yield* Effect.fail(ApiError.badRequest(
            `the name of the object (${body.metadata.name}) does not match the name on the URL (${name})`
          ))
        }
        const strategy = strategyFor(info)
        const cleaned = subresource === "status" ? body : yield* prepareNew(info, body, o)
        const mergedObject = merged(info, current, { ...cleaned, metadata: { ...cleaned.metadata, name } }, subresource)
        const next = yield* strategy.validate(strategy.prepareForUpdate(mergedObject, current), current)
        const admitted = (yield* admit(info, "UPDATE", subresource, namespace, name, next, current, o)) ?? next
        const final = yield* strategy.beforeStore(admitted)
        if (Meta.deepEqual(final, current)) return { _tag: "Noop", object: current } as Decision
        const type = finalState(strategy, final)
        return {
          _tag: "Write",
          type,
          object: final,
          ...(type === "DELETED" ? { extra: strategy.cascade(store, final) } : {})
        } as Decision
      }))

  const update: ApiShape["update"] = (info, namespace, name, rawBody, o, subresource = "") =>
    Effect.gen(function*() {
      const body = yield* decodeBody(info, rawBody)
      const r = yield* updateWith(info, namespace, name, o, subresource, () => Effect.succeed(body))
      return r.object
    })

  const patch: ApiShape["patch"] = (info, namespace, name, p, o, subresource = "") =>
    Effect.gen(function*() {
      const kind = Patch.kindOf(p.contentType)
      const accepted = strategyFor(info).patchTypes
      if (kind === undefined || (kind === "strategic" && !accepted.includes(Patch.StrategicMediaType))) {
        return yield* Effect.fail(ApiError.unsupportedMediaType(accepted))
      }
      if (kind === "apply") return yield* serverSideApply(info, namespace, name, p, o, subresource)
      const r = yield* updateWith(info, namespace, name, o, subresource, (current) =>
        Effect.map(Patch.apply(kind, current, p.body, info), (patched) => decodeBody(info, patched)).pipe(Effect.flatten))
      return { object: r.object, created: false }
    })

  const serverSideApply = (
    info: Registry.ResourceInfo,
    namespace: string,
    name: string,
    p: PatchRequest,
    o: WriteOptions,
    subresource: string
  ) =>
    Effect.gen(function*() {
      if (!Meta.isObject(p.body)) return yield* Effect.fail(ApiError.badRequest("the apply configuration must be an object"))
      const manager = o.fieldManager ?? ""
      if (manager === "") return yield* Effect.fail(ApiError.badRequest("fieldManager is required for apply requests"))
      const applied = { ...p.body, metadata: { ...(Meta.isObject(p.body["metadata"]) ? p.body["metadata"] : {}), name } }
      const request = { gr: gr(info), name, manager, force: p.force === true, apiVersion: Registry.apiVersionOf(info), now: Meta.now() }
      if (store.get(collection(info), namespace, name) === undefined) {
        const initial = yield* ServerSideApply.apply(undefined, applied as unknown as Json, request)
        return { object: yield* create(info, namespace, initial, o), created: true }
      }
      const r = yield* updateWith(info, namespace, name, o, subresource, (current) =>
        Effect.flatMap(ServerSideApply.apply(current, applied as unknown as Json, request), (next) => decodeBody(info, next)))
      return { object: r.object, created: false }
    })

  const del: ApiShape["delete"] = (info, namespace, name, d, o) =>
    Effect.gen(function*() {
      const r = yield* write(info, namespace, name, o, (current) =>
        Effect.gen(function*() {
          if (current === undefined) return yield* Effect.fail(notFound(info, name))
          const pre = d.preconditions
          if (pre?.uid !== undefined && pre.uid !== current.metadata.uid) {
            return yield* Effect.fail(ApiError.of(Status.conflict(gr(info), name,
              `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ""}`)))
          }
          if (pre?.resourceVersion !== undefined && pre.resourceVersion !== current.metadata.resourceVersion) {
            return yield* Effect.fail(ApiError.of(Status.conflict(gr(info), name,
              `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ""}`)))
          }
          const strategy = strategyFor(info)
          const refused = strategy.deleteRefused(info, name)
          if (refused !== undefined) return yield* Effect.fail(refused)
          yield* admit(info, "DELETE", "", namespace, name, undefined, current, o)
          const finalizers = [...(current.metadata.finalizers ?? [])]
          const policy = d.propagationPolicy
          if (policy === "Orphan" && !finalizers.includes("orphan")) finalizers.push("orphan")
          if (policy === "Foreground" && !finalizers.includes("foregroundDeletion")) finalizers.push("foregroundDeletion")
          const next: KubeObject = strategy.markDeleting({
            ...current,
            metadata: Meta.compactMeta({
              ...current.metadata,
              finalizers,
              deletionTimestamp: current.metadata.deletionTimestamp ?? Meta.now(),
              deletionGracePeriodSeconds: 0
            })
          })
          const type = finalState(strategy, next)
          if (type === "DELETED") return { _tag: "Write", type, object: current, extra: strategy.cascade(store, current) } as Decision
          if (Meta.deepEqual(next, current)) return { _tag: "Noop", object: current } as Decision
          return { _tag: "Write", type, object: next } as Decision
        }))
      return r.object
    })

  const deleteCollection: ApiShape["deleteCollection"] = (info, namespace, q, d, o) =>
    Effect.gen(function*() {
      const { items } = yield* list(info, namespace, { ...q, limit: 0 })
      return yield* Effect.forEach(items, (item) =>
        del(info, item.metadata.namespace ?? "", item.metadata.name ?? "", d, o).pipe(
          Effect.catchIf((e) => e.code === 404, () => Effect.succeed(item))
        ))
    })

  // views (events.k8s.io Events) run these same verbs on the resource they show
  return Views.wrap({ registry, admission, store, get, list, create, update, patch, delete: del, deleteCollection })
}

