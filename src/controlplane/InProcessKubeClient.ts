/**
 * KubeClient for code running inside the daemon (controllers, admission plugins):
 * it calls the API's internal request path (Resources.ts) directly — the same
 * validation, admission and storage as an HTTPS request, without the network or
 * serialisation. Status reasons map to KubeClient's typed errors exactly as the
 * live client maps them.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import { NotFound, Rejected } from "../domain/Errors.js"
import type { KubeObject, ObjectRef, ResourceType, WatchEvent } from "../domain/KubeObject.js"
import { AlreadyExists, Conflict, KubeClient, type KubeClientShape, type KubeError, type PatchType, Unavailable } from "../services/KubeClient.js"
import type { ApiError } from "./apiserver/ApiError.js"
import type { ResourceInfo } from "./apiserver/Registry.js"
import { Api, type ApiShape } from "./apiserver/Resources.js"
import * as Watch from "./apiserver/Watch.js"

export const toKubeError = (e: ApiError): KubeError => {
  const message = e.message
  switch (e.reason) {
    case "NotFound": return new NotFound({ message })
    case "AlreadyExists": return new AlreadyExists({ message })
    case "Conflict": return new Conflict({ message })
  }
  if (e.code === 400 || e.code === 403 || e.code === 422 || e.code === 415) {
    return new Rejected({ message, code: e.code, reason: e.reason })
  }
  return new Unavailable({ message })
}

const contentTypes: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json"
}

const InternalUser = "system:rdd-controller-manager"

export const make = (api: ApiShape): KubeClientShape => {
  const resolve = (t: ResourceType): Effect.Effect<ResourceInfo, KubeError> => {
    const info = api.registry.find(t.group, t.version, t.resource)
    return info === undefined
      ? Effect.fail(new NotFound({ message: `the server could not find the requested resource (${t.resource}.${t.group || "core"}/${t.version})` }))
      : Effect.succeed(info)
  }
  const ns = (info: ResourceInfo, namespace: string | undefined) => (info.namespaced ? namespace ?? "" : "")
  const wrap = <A>(e: Effect.Effect<A, ApiError>) => Effect.mapError(e, toKubeError)
  const dry = (o?: { readonly dryRun?: boolean }) => ({ dryRun: o?.dryRun === true, user: InternalUser })

  const watch = (type: ResourceType, options?: { namespace?: string; labelSelector?: string; fieldSelector?: string }) =>
    Stream.unwrapScoped(Effect.gen(function*() {
      const info = yield* resolve(type)
      const queue = yield* Queue.unbounded<WatchEvent | "closed">()
      const cancel = yield* wrap(Watch.open(api.store, info, ns(info, options?.namespace), {
        ...(options?.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
        ...(options?.fieldSelector === undefined ? {} : { fieldSelector: options.fieldSelector })
      }, {
        send: (type, object) => {
          if (type === "ADDED" || type === "MODIFIED" || type === "DELETED") Queue.unsafeOffer(queue, { type, object: object as KubeObject })
          return true
        },
        close: () => Queue.unsafeOffer(queue, "closed")
      }))
      yield* Effect.addFinalizer(() => Effect.sync(cancel))
      return Stream.fromQueue(queue).pipe(
        Stream.takeWhile((e): e is WatchEvent => e !== "closed")
      )
    }))

  return {
    readyz: Effect.succeed(true),
    get: (ref: ObjectRef) =>
      Effect.flatMap(resolve(ref.type), (info) =>
        api.get(info, ns(info, ref.namespace), ref.name).pipe(
          Effect.map(Option.some),
          Effect.catchIf((e) => e.code === 404, () => Effect.succeed(Option.none<KubeObject>())),
          Effect.mapError(toKubeError)
        )),
    list: (type, options) =>
      Effect.flatMap(resolve(type), (info) =>
        wrap(api.list(info, ns(info, options?.namespace), {
          ...(options?.labelSelector === undefined ? {} : { labelSelector: options.labelSelector }),
          ...(options?.fieldSelector === undefined ? {} : { fieldSelector: options.fieldSelector })
        })).pipe(Effect.map((r) => ({ items: r.items, resourceVersion: r.resourceVersion })))),
    watch,
    create: (type, object, options) =>
      Effect.flatMap(resolve(type), (info) => wrap(api.create(info, ns(info, object.metadata.namespace), object, dry(options)))),
    update: (ref, object, options) =>
      Effect.flatMap(resolve(ref.type), (info) => wrap(api.update(info, ns(info, ref.namespace), ref.name, object, dry(options)))),
    patch: (ref, patch, type, options) =>
      Effect.flatMap(resolve(ref.type), (info) =>
        wrap(api.patch(info, ns(info, ref.namespace), ref.name, { contentType: contentTypes[type], body: patch }, dry(options))).pipe(
          Effect.map((r) => r.object)
        )),
    patchStatus: (ref, patch, type) =>
      Effect.flatMap(resolve(ref.type), (info) =>
        wrap(api.patch(info, ns(info, ref.namespace), ref.name, { contentType: contentTypes[type], body: patch }, dry(), "status")).pipe(
          Effect.map((r) => r.object)
        )),
    delete: (ref, options) =>
      Effect.flatMap(resolve(ref.type), (info) =>
        wrap(api.delete(info, ns(info, ref.namespace), ref.name, {
          ...(options?.propagationPolicy === undefined ? {} : { propagationPolicy: options.propagationPolicy })
        }, dry(options))).pipe(Effect.asVoid))
  }
}

export const layer = Layer.effect(KubeClient, Effect.map(Api, make))
