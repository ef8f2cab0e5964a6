/**
 * Per-object rules every write applies, whatever the kind (a kind's own rules
 * are its strategy, Strategy.ts): decoding a body into the addressed kind
 * (apiVersion/kind defaulted from the URL, typed ObjectMeta fields),
 * NamespaceLifecycle (no writes into missing or terminating namespaces), when a
 * finalized object is gone for good, how an update merges with the stored object
 * (server-owned metadata, status, generation), continue tokens.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as Status from "../../domain/k8s/Status.js"
import type { EventType, StoreShape } from "../storage/Store.js"
import * as ApiError from "./ApiError.js"
import * as Meta from "./Meta.js"
import * as Registry from "./Registry.js"
import type { Strategy } from "./Strategy.js"

const gr = (info: Registry.ResourceInfo): Status.GroupResource => ({ group: info.group, resource: info.resource })

export const isObjectBody = (body: unknown): body is KubeObject =>
  Meta.isObject(body) && (body["metadata"] === undefined || Meta.isObject(body["metadata"]))

export const decodeBody = (info: Registry.ResourceInfo, body: unknown): Effect.Effect<KubeObject, ApiError.ApiError> => {
  if (!isObjectBody(body)) {
    return Effect.fail(ApiError.badRequest(`the body of the request could not be decoded as a ${info.kind}: expected a JSON object`))
  }
  const apiVersion = Registry.apiVersionOf(info)
  const bodyApiVersion = body["apiVersion"]
  const bodyKind = body["kind"]
  if ((bodyKind !== undefined && bodyKind !== info.kind) || (bodyApiVersion !== undefined && bodyApiVersion !== apiVersion)) {
    return Effect.fail(ApiError.badRequest(
      `the API version in the data (${String(bodyApiVersion ?? "")}) does not match the expected API version (${apiVersion})` +
        (bodyKind !== info.kind ? ` or kind (${String(bodyKind)} vs ${info.kind})` : "")
    ))
  }
  const typeError = metadataTypeError((body.metadata ?? {}) as Record<string, unknown>)
  if (typeError !== undefined) {
    return Effect.fail(ApiError.badRequest(`${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: ${typeError}`))
  }
  return Effect.succeed({ ...body, apiVersion, kind: info.kind, metadata: { ...(body.metadata ?? {}) } })
}

/** ObjectMeta is a typed struct in kube: a wrongly typed field fails decoding (400), never validation. */
const metadataTypeError = (meta: Record<string, unknown>): string | undefined => {
  const goType = (v: unknown) => (Array.isArray(v) ? "array" : v === null ? "null" : typeof v === "object" ? "object" : typeof v)
  for (const k of ["name", "generateName", "namespace", "uid", "resourceVersion", "creationTimestamp", "deletionTimestamp"]) {
    const v = meta[k]
    if (v !== undefined && v !== null && typeof v !== "string") return `json: cannot unmarshal ${goType(v)} into Go struct field ObjectMeta.metadata.${k} of type string`
  }
  for (const k of ["labels", "annotations"]) {
    const v = meta[k]
    if (v === undefined || v === null) continue
    if (!Meta.isObject(v) || Object.values(v).some((x) => typeof x !== "string")) {
      return `json: cannot unmarshal ${goType(v)} into Go struct field ObjectMeta.metadata.${k} of type map[string]string`
    }
  }
  const fin = meta["finalizers"]
  if (fin !== undefined && fin !== null && (!Array.isArray(fin) || fin.some((x) => typeof x !== "string"))) {
    return `json: cannot unmarshal ${goType(fin)} into Go struct field ObjectMeta.metadata.finalizers of type []string`
  }
  const refs = meta["ownerReferences"]
  if (refs !== undefined && refs !== null && (!Array.isArray(refs) || refs.some((r) => !Meta.isObject(r)))) {
    return `json: cannot unmarshal ${goType(refs)} into Go struct field ObjectMeta.metadata.ownerReferences of type []v1.OwnerReference`
  }
  return undefined
}

/** A write is refused by a terminating or missing namespace (NamespaceLifecycle). */
export const checkNamespace = (store: StoreShape, info: Registry.ResourceInfo, namespace: string, name: string) => {
  if (!info.namespaced) return Effect.void
  const ns = store.get(NamespacesCollection, "", namespace)
  if (ns === undefined) return Effect.fail(ApiError.of(Status.notFound({ group: "", resource: "namespaces" }, namespace)))
  if (ns.metadata.deletionTimestamp !== undefined) {
    return Effect.fail(ApiError.of(Status.forbidden(
      gr(info),
      name,
      `unable to create new content in namespace ${namespace} because it is being terminated`
    )))
  }
  return Effect.void
}

const NamespacesCollection = { group: "", resource: "namespaces" }

/** Objects under deletion that nothing holds back any more (finalizers, the kind's own rule) are removed for good. */
export const finalState = (strategy: Strategy, o: KubeObject): EventType =>
  o.metadata.deletionTimestamp === undefined || Meta.hasFinalizers(o) || strategy.heldBack(o) ? "MODIFIED" : "DELETED"

export const parseContinue = (token: string | undefined): Either.Either<string | undefined, ApiError.ApiError> => {
  if (token === undefined || token === "") return Either.right(undefined)
  try {
    const parsed = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as { k?: unknown }
    if (typeof parsed.k === "string") return Either.right(parsed.k)
  } catch {
    // fall through
  }
  return Either.left(ApiError.badRequest("continue key is not valid: invalid token"))
}

/** The object an update/patch would store, from the current one and the client's version. */
export const merged = (
  info: Registry.ResourceInfo,
  current: KubeObject,
  incoming: KubeObject,
  subresource: string
): KubeObject => {
  const keep = {
    uid: current.metadata.uid,
    creationTimestamp: current.metadata.creationTimestamp,
    deletionTimestamp: current.metadata.deletionTimestamp,
    deletionGracePeriodSeconds: current.metadata.deletionGracePeriodSeconds,
    generation: current.metadata.generation,
    resourceVersion: current.metadata.resourceVersion,
    namespace: current.metadata.namespace,
    // server-side apply computes them; other writers keep what is recorded
    managedFields: (incoming.metadata as { managedFields?: unknown }).managedFields ??
      (current.metadata as { managedFields?: unknown }).managedFields
  }
  if (subresource === "status") {
    return { ...current, status: incoming["status"] }
  }
  let next: KubeObject = { ...incoming, metadata: Meta.compactMeta({ ...incoming.metadata, ...keep }) }
  if (info.statusSubresource) {
    const { status: _s, ...rest } = next
    next = (current["status"] === undefined ? rest : { ...rest, status: current["status"] }) as KubeObject
  }
  const specChanged = !Meta.deepEqual(Meta.specPart(next), Meta.specPart(current))
  const tracksGeneration = info.statusSubresource || info.crd !== undefined
  if (specChanged && tracksGeneration && current.metadata.generation !== undefined) {
    next = { ...next, metadata: { ...next.metadata, generation: current.metadata.generation + 1 } }
  }
  return next
}
