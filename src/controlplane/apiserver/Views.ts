/**
 * Resources that are another resource's objects in a different shape (a
 * Registry `view`): events.k8s.io/v1 Events are core v1 Events, as in
 * Kubernetes, where both API groups read and write one stored object. Every verb
 * on the view converts the request to the stored shape, runs the stored
 * resource's verb (so validation, admission, storage, watches and garbage rules
 * are those of the stored resource) and converts the answer back.
 *
 * Patches are applied to the view's shape (a merge patch names the view's
 * fields) and written as an update guarded by the resourceVersion they were
 * computed from. Server-side apply is not offered on views (415 listing the
 * other patch types): its managed fields would name the stored shape's fields.
 */
import * as Effect from "effect/Effect"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as Status from "../../domain/k8s/Status.js"
import * as ApiError from "./ApiError.js"
import { isObject } from "./Meta.js"
import * as Patch from "./Patch.js"
import type { ResourceInfo, View } from "./Registry.js"
import type { ApiShape, ListQuery } from "./Resources.js"
import * as Validation from "./Validation.js"
import type * as Watch from "./Watch.js"

/** A patch computed from a stale object is recomputed this many times before the Conflict is returned. */
const PatchRetries = 16

const storedQuery = <Q extends ListQuery>(view: View, q: Q): Q =>
  q.fieldSelector === undefined ? q : { ...q, fieldSelector: view.fieldSelector(q.fieldSelector) }

const asObject = (info: ResourceInfo, body: unknown): Effect.Effect<KubeObject, ApiError.ApiError> =>
  isObject(body) && isObject(body["metadata"] ?? {})
    ? Effect.succeed({ ...body, metadata: (body["metadata"] ?? {}) as KubeObject["metadata"] } as KubeObject)
    : Effect.fail(ApiError.badRequest(`the body of the request must be a ${info.kind} object`))

/** The view's strict field check: the stored resource would judge the converted body, naming the wrong fields. */
const strict = (info: ResourceInfo, body: KubeObject, fieldValidation: string | undefined) => {
  if (fieldValidation !== "Strict") return Effect.void
  const unknown = Validation.unknownBuiltinFields(info, body)
  return unknown.length > 0 ? Effect.fail(Validation.strictError(info, unknown)) : Effect.void
}

/** NotFound and AlreadyExists name the resource the client asked for (`events.events.k8s.io "x" not found`). */
const named = (info: ResourceInfo, name: string) => (e: ApiError.ApiError): ApiError.ApiError => {
  const gr = { group: info.group, resource: info.resource }
  if (e.status.reason === "NotFound" && e.status.details?.kind === info.view?.stored.resource) return ApiError.of(Status.notFound(gr, name))
  if (e.status.reason === "AlreadyExists") return ApiError.of(Status.alreadyExists(gr, name))
  return e
}

export const wrap = (base: ApiShape): ApiShape => {
  const patchRetrying = (
    info: ResourceInfo,
    view: View,
    namespace: string,
    name: string,
    p: Parameters<ApiShape["patch"]>[3],
    o: Parameters<ApiShape["patch"]>[4],
    subresource: string | undefined
  ): Effect.Effect<{ readonly object: KubeObject; readonly created: boolean }, ApiError.ApiError> => {
    const kind = Patch.kindOf(p.contentType)
    if (kind === undefined || kind === "apply") {
      return Effect.fail(ApiError.unsupportedMediaType(Patch.MediaTypes.filter((t) => Patch.kindOf(t) !== "apply")))
    }
    const attempt = (n: number): Effect.Effect<{ readonly object: KubeObject; readonly created: boolean }, ApiError.ApiError> =>
      Effect.gen(function*() {
        const current = view.fromStored(yield* base.get(view.stored, namespace, name))
        const patched = yield* asObject(info, yield* Patch.apply(kind, current, p.body, info))
        yield* strict(info, patched, o.fieldValidation)
        // a resourceVersion the patch itself sets is the client's precondition; otherwise ours is the object we patched
        const precondition = patched.metadata.resourceVersion ?? current.metadata.resourceVersion
        const chosen = isObject(p.body) && isObject(p.body["metadata"]) && p.body["metadata"]["resourceVersion"] !== undefined
        const stored = view.toStored({
          ...patched,
          metadata: { ...patched.metadata, ...(precondition === undefined ? {} : { resourceVersion: precondition }) }
        })
        return yield* base.update(view.stored, namespace, name, stored, o, subresource).pipe(
          Effect.map((object) => ({ object: view.fromStored(object), created: false })),
          Effect.catchIf(
            (e) => e.status.reason === "Conflict" && !chosen && n < PatchRetries,
            () => attempt(n + 1)
          )
        )
      })
    return attempt(0)
  }

  return {
    ...base,
    get: (info, namespace, name) =>
      info.view === undefined
        ? base.get(info, namespace, name)
        : base.get(info.view.stored, namespace, name).pipe(Effect.map(info.view.fromStored), Effect.mapError(named(info, name))),
    list: (info, namespace, q) => {
      const view = info.view
      if (view === undefined) return base.list(info, namespace, q)
      return Effect.map(base.list(view.stored, namespace, storedQuery(view, q)), (r) => ({ ...r, items: r.items.map(view.fromStored) }))
    },
    create: (info, namespace, body, o) => {
      const view = info.view
      if (view === undefined) return base.create(info, namespace, body, o)
      return Effect.gen(function*() {
        const object = yield* asObject(info, body)
        yield* strict(info, object, o.fieldValidation)
        const errs = view.validateCreate(object)
        if (errs.length > 0) return yield* Effect.fail(Validation.invalid(info, object.metadata.name ?? "", errs))
        const created = yield* base.create(view.stored, namespace, view.toStored(object), o).pipe(
          Effect.mapError(named(info, object.metadata.name ?? ""))
        )
        return view.fromStored(created)
      })
    },
    update: (info, namespace, name, body, o, subresource) => {
      const view = info.view
      if (view === undefined) return base.update(info, namespace, name, body, o, subresource)
      return Effect.gen(function*() {
        const object = yield* asObject(info, body)
        yield* strict(info, object, o.fieldValidation)
        const updated = yield* base.update(view.stored, namespace, name, view.toStored(object), o, subresource).pipe(
          Effect.mapError(named(info, name))
        )
        return view.fromStored(updated)
      })
    },
    patch: (info, namespace, name, p, o, subresource) =>
      info.view === undefined
        ? base.patch(info, namespace, name, p, o, subresource)
        : patchRetrying(info, info.view, namespace, name, p, o, subresource).pipe(Effect.mapError(named(info, name))),
    delete: (info, namespace, name, d, o) =>
      info.view === undefined
        ? base.delete(info, namespace, name, d, o)
        : base.delete(info.view.stored, namespace, name, d, o).pipe(Effect.map(info.view.fromStored), Effect.mapError(named(info, name))),
    deleteCollection: (info, namespace, q, d, o) => {
      const view = info.view
      if (view === undefined) return base.deleteCollection(info, namespace, q, d, o)
      return Effect.map(base.deleteCollection(view.stored, namespace, storedQuery(view, q), d, o), (items) => items.map(view.fromStored))
    }
  }
}

/** A watch on a view: the stored resource's watch, its objects shown in the view's shape. */
export const watchTarget = <Q extends Watch.WatchQuery>(info: ResourceInfo, q: Q, sink: Watch.WatchSink) => {
  const view = info.view
  if (view === undefined) return { info, q, sink }
  return {
    info: view.stored,
    q: storedQuery(view, q),
    sink: {
      ...sink,
      send: (type: Watch.WatchEventType, object: unknown) =>
        sink.send(type, type === "ERROR" || !isObject(object) ? object : view.fromStored(object as KubeObject))
    }
  }
}
