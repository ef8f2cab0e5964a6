/**
 * What each kind does differently on a write, in one place per kind: the way
 * Kubernetes' generic registry store (`registry/generic/registry/store.go`)
 * runs the same verbs for every resource and asks the kind's
 * `RESTCreateStrategy`/`RESTUpdateStrategy`/delete strategy for the rest.
 * Resources.ts is the store here; it never names a kind. To give a kind its own
 * rules, add a strategy below and list it in `strategyFor`.
 *
 * Kinds with a strategy of their own: Namespace, Secret and ConfigMap, CRDs and
 * custom resources; every other built-in kind uses `builtin`.
 */
import * as Effect from "effect/Effect"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as FieldError from "../../domain/k8s/FieldError.js"
import * as Names from "../../domain/k8s/Names.js"
import * as Status from "../../domain/k8s/Status.js"
import type { StoreShape, WriteOp } from "../storage/Store.js"
import * as ApiError from "./ApiError.js"
import * as CustomResources from "./CustomResources.js"
import * as Meta from "./Meta.js"
import * as Patch from "./Patch.js"
import type { ResourceInfo } from "./Registry.js"
import * as Validation from "./Validation.js"

export interface Strategy {
  /** subresources served besides the object itself (`status` when the kind has one) */
  readonly subresources: ReadonlyArray<string>
  /** patch media types accepted (custom resources have no strategic merge patch) */
  readonly patchTypes: ReadonlyArray<string>
  /** the rule `metadata.name` follows */
  readonly nameRule: Names.NameRule
  /** top-level fields the client sent that the kind does not know (fieldValidation=Strict) */
  readonly unknownFields: (body: KubeObject) => ReadonlyArray<string>
  /** drops those fields (what kube's decoder does without Strict) */
  readonly dropUnknownFields: (body: KubeObject) => KubeObject
  /** PrepareForCreate: clears what a client may not set and fills the kind's defaults */
  readonly prepareForCreate: (o: KubeObject) => KubeObject
  /** PrepareForUpdate: the same on update, given the merged object and the stored one */
  readonly prepareForUpdate: (next: KubeObject, current: KubeObject) => KubeObject
  /**
   * Validate/ValidateUpdate (`old` on update): defaulting from a schema first,
   * then every field rule; fails with 422 Invalid. Returns the defaulted object.
   */
  readonly validate: (o: KubeObject, old: KubeObject | undefined) => Effect.Effect<KubeObject, ApiError.ApiError>
  /** after admission, before storing: what the server itself sets (a CRD's status) */
  readonly beforeStore: (o: KubeObject) => Effect.Effect<KubeObject, ApiError.ApiError>
  /** refuses deletion of this name outright (a Status to send), or undefined */
  readonly deleteRefused: (info: ResourceInfo, name: string) => ApiError.ApiError | undefined
  /** the object as it is marked for deletion (a namespace shows phase Terminating) */
  readonly markDeleting: (o: KubeObject) => KubeObject
  /** something besides metadata.finalizers still holds an object under deletion */
  readonly heldBack: (o: KubeObject) => boolean
  /** the other objects removed in the same commit as this one */
  readonly cascade: (store: StoreShape, removed: KubeObject) => ReadonlyArray<WriteOp>
}

const withoutStatus = (o: KubeObject): KubeObject => {
  const { status: _s, ...rest } = o
  return rest as KubeObject
}

const metadataErrors = (info: ResourceInfo, nameRule: Names.NameRule, o: KubeObject, old: KubeObject | undefined) =>
  old === undefined ? Validation.validateMetadata(info, nameRule, o) : Validation.validateMetadataUpdate(info, nameRule, o, old)

/** Rules of a strategy written as field errors on top of metadata validation. */
const validating = (
  info: ResourceInfo,
  nameRule: Names.NameRule,
  fieldErrors: (o: KubeObject, old: KubeObject | undefined) => ReadonlyArray<FieldError.FieldError>
) =>
(o: KubeObject, old: KubeObject | undefined): Effect.Effect<KubeObject, ApiError.ApiError> => {
  const errs = [...metadataErrors(info, nameRule, o, old), ...fieldErrors(o, old)]
  return errs.length === 0 ? Effect.succeed(o) : Effect.fail(Validation.invalid(info, o.metadata.name ?? "", errs))
}

/** Every built-in kind: struct fields, status through its subresource, no rules beyond metadata. */
export const builtin = (info: ResourceInfo): Strategy => {
  const nameRule = info.group === "" || info.group.endsWith(".k8s.io") ? Names.nameIsDNSSubdomain : Names.nameIsPathSegment
  return {
    subresources: info.statusSubresource ? ["status"] : [],
    patchTypes: Patch.MediaTypes,
    nameRule,
    unknownFields: (body) => Validation.unknownBuiltinFields(info, body),
    dropUnknownFields: (body) => Validation.dropUnknownBuiltinFields(info, body),
    prepareForCreate: (o) => (info.statusSubresource ? withoutStatus(o) : o),
    prepareForUpdate: (next) => next,
    validate: validating(info, nameRule, () => []),
    beforeStore: Effect.succeed,
    deleteRefused: () => undefined,
    markDeleting: (o) => o,
    heldBack: () => false,
    cascade: () => []
  }
}

/** Like kube-system and default on Kubernetes: the daemon's own namespaces cannot be deleted. */
const ImmortalNamespaces: ReadonlyArray<string> = ["default", "rdd-system"]

/**
 * Namespace: created Active with the `kubernetes` finalizer in spec; deleting
 * marks it Terminating and it stays until spec.finalizers is empty (the
 * `finalize` subresource). Its status is written only through `status`, as
 * for every kind with a status subresource (ObjectRules.merged).
 */
export const namespace = (info: ResourceInfo): Strategy => {
  const base = builtin(info)
  return {
    ...base,
    subresources: ["status", "finalize"],
    nameRule: Names.nameIsDNSLabel,
    validate: validating(info, Names.nameIsDNSLabel, () => []),
    prepareForCreate: (o) => {
      const spec = Meta.isObject(o["spec"]) ? o["spec"] : {}
      return { ...o, spec: { finalizers: ["kubernetes"], ...spec }, status: { phase: "Active" } }
    },
    deleteRefused: (info, name) =>
      ImmortalNamespaces.includes(name)
        ? ApiError.of(Status.forbidden({ group: info.group, resource: info.resource }, name, "this namespace may not be deleted"))
        : undefined,
    markDeleting: (o) => ({ ...o, status: { ...(o["status"] as object | undefined), phase: "Terminating" } }),
    heldBack: (o) => ((o["spec"] as { finalizers?: ReadonlyArray<string> } | undefined)?.finalizers ?? []).length > 0
  }
}

/** ConfigMap and Secret data: keys and string values; `immutable` freezes data and itself. */
const dataErrors = (o: KubeObject, old: KubeObject | undefined): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  for (const field of ["data", "binaryData", "stringData"]) {
    const m = o[field]
    if (m === undefined || m === null) continue
    if (!Meta.isObject(m)) {
      errs.push(FieldError.typeInvalid(field, JSON.stringify(m), "must be a map of strings"))
      continue
    }
    for (const [k, v] of Object.entries(m)) {
      for (const msg of Names.isConfigMapKey(k)) errs.push(FieldError.invalid(`${field}[${k}]`, k, msg))
      if (typeof v !== "string") errs.push(FieldError.typeInvalid(`${field}[${k}]`, JSON.stringify(v), "must be a string"))
    }
  }
  if (old !== undefined && old["immutable"] === true) {
    for (const f of ["data", "binaryData"]) {
      if (!Meta.deepEqual(o[f] ?? null, old[f] ?? null)) errs.push(FieldError.forbidden(f, "field is immutable when `immutable` is set"))
    }
    if (o["immutable"] !== true) errs.push(FieldError.forbidden("immutable", "field is immutable when `immutable` is set"))
  }
  return errs
}

export const configMap = (info: ResourceInfo): Strategy => {
  const base = builtin(info)
  return { ...base, validate: validating(info, base.nameRule, dataErrors) }
}

/** Secrets: stringData is write-only and merged into data (base64); type defaults to Opaque. */
const normaliseSecret = (o: KubeObject): KubeObject => {
  const stringData = o["stringData"]
  const { stringData: _drop, ...rest } = o
  const data: Record<string, unknown> = Meta.isObject(o["data"]) ? { ...o["data"] } : {}
  if (Meta.isObject(stringData)) {
    for (const [k, v] of Object.entries(stringData)) data[k] = Buffer.from(String(v), "utf8").toString("base64")
  }
  return { ...rest, type: o["type"] ?? "Opaque", ...(Object.keys(data).length > 0 ? { data } : {}) } as KubeObject
}

export const secret = (info: ResourceInfo): Strategy => ({
  ...configMap(info),
  prepareForCreate: normaliseSecret,
  prepareForUpdate: normaliseSecret
})

/**
 * CustomResourceDefinition: its own rules (names, scope, one storage version,
 * schemas rdd can enforce), Established as soon as it is stored, and its custom
 * objects removed in the same commit as itself.
 */
export const customResourceDefinition = (info: ResourceInfo): Strategy => {
  const base = builtin(info)
  return {
    ...base,
    validate: (o, old) =>
      Effect.zipRight(
        CustomResources.checkDefinition(info, o),
        validating(info, base.nameRule, () => [])(o, old)
      ),
    beforeStore: CustomResources.establish,
    cascade: (store, removed) => {
      const spec = removed["spec"] as { group?: string; names?: { plural?: string } } | undefined
      if (spec?.group === undefined || spec.names?.plural === undefined) return []
      const c = { group: spec.group, resource: spec.names.plural }
      return store.list(c).map((obj) => ({
        type: "DELETED" as const,
        collection: c,
        namespace: obj.metadata.namespace ?? "",
        name: obj.metadata.name ?? "",
        object: obj
      }))
    }
  }
}

/** Objects of a CRD: its structural schema prunes, defaults and validates them. */
export const customResource = (info: ResourceInfo): Strategy => {
  const base = builtin(info)
  const nameRule = base.nameRule
  return {
    ...base,
    patchTypes: Status.customResourcePatchTypes,
    unknownFields: (body) => CustomResources.unknownFields(info, body),
    dropUnknownFields: (body) => CustomResources.prune(info, body),
    validate: (o, old) => Effect.flatMap(CustomResources.defaultAndValidate(info, o, old), (d) => validating(info, nameRule, () => [])(d, old))
  }
}

const byResource: Record<string, (info: ResourceInfo) => Strategy> = {
  "/namespaces": namespace,
  "/secrets": secret,
  "/configmaps": configMap,
  "apiextensions.k8s.io/customresourcedefinitions": customResourceDefinition
}

const cache = new WeakMap<ResourceInfo, Strategy>()

/** The strategy of a resource (one per ResourceInfo, built once). */
export const strategyFor = (info: ResourceInfo): Strategy => {
  let s = cache.get(info)
  if (s === undefined) {
    const make = info.crd !== undefined ? customResource : info.fields === undefined
      ? customResource
      : byResource[`${info.group}/${info.resource}`] ?? builtin
    s = make(info)
    cache.set(info, s)
  }
  return s
}
