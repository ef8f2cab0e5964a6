/**
 * The resource types the API serves: the built-in core/v1, coordination and
 * apiextensions kinds, plus every established CRD (registered when its CRD is
 * stored, removed when it is deleted). Discovery, OpenAPI, routing and the
 * handlers all read this one table; `generation` changes whenever it does, so
 * hashed discovery/OpenAPI URLs change with it.
 */
import * as EventsV1 from "../../domain/k8s/EventsV1.js"
import type * as FieldError from "../../domain/k8s/FieldError.js"
import type { KubeObject } from "../../domain/KubeObject.js"

export interface PrinterColumn {
  readonly name: string
  readonly type: string
  readonly jsonPath: string
  readonly description?: string
  readonly priority?: number
  readonly format?: string
}

export interface ResourceInfo {
  readonly group: string
  readonly version: string
  /** plural, lower case */
  readonly resource: string
  readonly singular: string
  readonly kind: string
  readonly listKind: string
  readonly namespaced: boolean
  readonly shortNames: ReadonlyArray<string>
  readonly categories: ReadonlyArray<string>
  /** has a `status` subresource: status is written only through it, spec changes bump generation */
  readonly statusSubresource: boolean
  /** top-level fields accepted by strict field validation (built-in kinds) */
  readonly fields?: ReadonlyArray<string>
  /** openAPIV3Schema of the served version (CRDs) */
  readonly schema?: unknown
  readonly printerColumns?: ReadonlyArray<PrinterColumn>
  /** the CRD that defines this resource */
  readonly crd?: string
  /** the verbs served (default: all of `Verbs`) */
  readonly verbs?: ReadonlyArray<string>
  /**
   * Where the objects come from when not from the store under this resource's own
   * name: `review` objects are computed per request and never stored
   * (AccessReviews.ts); `admission` objects are generated, read-only, from rdd's
   * built-in admission chain (WebhookConfigurations.ts).
   */
  readonly source?: "review" | "admission"
  /** the objects are another resource's, shown in this resource's shape (Views.ts) */
  readonly view?: View
}

/** One stored object, two shapes: events.k8s.io/v1 Events over core v1 Events. */
export interface View {
  readonly stored: ResourceInfo
  readonly fromStored: (o: KubeObject) => KubeObject
  readonly toStored: (o: KubeObject) => KubeObject
  /** the field selector in the stored resource's labels */
  readonly fieldSelector: (selector: string) => string
  /** the view's own create rules, on the object in the view's shape */
  readonly validateCreate: (o: KubeObject) => ReadonlyArray<FieldError.FieldError>
}

export const Verbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"] as const

export const apiVersionOf = (r: { readonly group: string; readonly version: string }): string =>
  r.group === "" ? r.version : `${r.group}/${r.version}`

const core = (
  resource: string,
  kind: string,
  namespaced: boolean,
  fields: ReadonlyArray<string>,
  shortNames: ReadonlyArray<string> = [],
  statusSubresource = false
): ResourceInfo => ({
  group: "",
  version: "v1",
  resource,
  singular: kind.toLowerCase(),
  kind,
  listKind: `${kind}List`,
  namespaced,
  shortNames,
  categories: [],
  statusSubresource,
  fields: ["apiVersion", "kind", "metadata", ...fields]
})

const coreEvents = core("events", "Event", true, [
  "involvedObject", "reason", "message", "source", "firstTimestamp", "lastTimestamp", "count", "type", "eventTime",
  "series", "action", "related", "reportingComponent", "reportingInstance"
], ["ev"])

const review = (group: string, resource: string, kind: string, fields: ReadonlyArray<string>): ResourceInfo => ({
  ...core(resource, kind, false, fields),
  group,
  verbs: ["create"],
  source: "review"
})

const webhookConfiguration = (resource: string, kind: string): ResourceInfo => ({
  ...core(resource, kind, false, ["webhooks"]),
  group: "admissionregistration.k8s.io",
  categories: ["api-extensions"],
  verbs: ["get", "list", "watch"],
  source: "admission"
})

export const Builtin: ReadonlyArray<ResourceInfo> = [
  core("namespaces", "Namespace", false, ["spec", "status"], ["ns"], true),
  core("configmaps", "ConfigMap", true, ["data", "binaryData", "immutable"], ["cm"]),
  core("secrets", "Secret", true, ["data", "stringData", "type", "immutable"]),
  core("serviceaccounts", "ServiceAccount", true, ["secrets", "imagePullSecrets", "automountServiceAccountToken"], ["sa"]),
  coreEvents,
  {
    ...core("events", "Event", true, EventsV1.Fields.slice(3), ["ev"]),
    group: "events.k8s.io",
    view: {
      stored: coreEvents,
      fromStored: EventsV1.fromCore, toStored: EventsV1.toCore, fieldSelector: EventsV1.fieldSelectorToCore,
      validateCreate: EventsV1.validateCreate
    }
  },
  review("authorization.k8s.io", "selfsubjectaccessreviews", "SelfSubjectAccessReview", ["spec", "status"]),
  review("authorization.k8s.io", "selfsubjectrulesreviews", "SelfSubjectRulesReview", ["spec", "status"]),
  review("authentication.k8s.io", "selfsubjectreviews", "SelfSubjectReview", ["status"]),
  webhookConfiguration("mutatingwebhookconfigurations", "MutatingWebhookConfiguration"),
  webhookConfiguration("validatingwebhookconfigurations", "ValidatingWebhookConfiguration"),
  {
    ...core("leases", "Lease", true, ["spec"]),
    group: "coordination.k8s.io"
  },
  {
    ...core("customresourcedefinitions", "CustomResourceDefinition", false, ["spec", "status"], ["crd", "crds"], true),
    group: "apiextensions.k8s.io",
    categories: ["api-extensions"]
  }
]

export interface Registry {
  readonly generation: () => number
  readonly all: () => ReadonlyArray<ResourceInfo>
  readonly find: (group: string, version: string, resource: string) => ResourceInfo | undefined
  readonly findKind: (apiVersion: string, kind: string) => ResourceInfo | undefined
  /** replaces every resource defined by this CRD */
  readonly registerCrd: (crdName: string, infos: ReadonlyArray<ResourceInfo>) => void
  readonly unregisterCrd: (crdName: string) => void
}

export const make = (): Registry => {
  let generation = 1
  let crdResources: Array<ResourceInfo> = []
  // Every request looks its resource up (twice); the list and its index are built
  // once per change of the CRDs, not per lookup.
  let view: { readonly all: ReadonlyArray<ResourceInfo>; readonly byGvr: ReadonlyMap<string, ResourceInfo> } | undefined
  const current = () => {
    if (view === undefined) {
      const all = [...Builtin, ...crdResources]
      const byGvr = new Map<string, ResourceInfo>()
      for (const r of all) {
        const key = `${r.group}/${r.version}/${r.resource}`
        if (!byGvr.has(key)) byGvr.set(key, r)
      }
      view = { all, byGvr }
    }
    return view
  }
  const changed = () => {
    generation++
    view = undefined
  }
  return {
    generation: () => generation,
    all: () => current().all,
    find: (group, version, resource) => current().byGvr.get(`${group}/${version}/${resource}`),
    findKind: (apiVersion, kind) => current().all.find((r) => apiVersionOf(r) === apiVersion && r.kind === kind),
    registerCrd: (crdName, infos) => {
      crdResources = [...crdResources.filter((r) => r.crd !== crdName), ...infos]
      changed()
    },
    unregisterCrd: (crdName) => {
      crdResources = crdResources.filter((r) => r.crd !== crdName)
      changed()
    }
  }
}

/** The served resource types a stored CRD object defines (one per served version). */
export const fromCrd = (crd: KubeObject): ReadonlyArray<ResourceInfo> => {
  const spec = (crd["spec"] ?? {}) as {
    group?: string
    names?: { plural?: string; singular?: string; kind?: string; listKind?: string; shortNames?: Array<string>; categories?: Array<string> }
    scope?: string
    versions?: Array<{
      name?: string
      served?: boolean
      schema?: { openAPIV3Schema?: unknown }
      subresources?: { status?: unknown }
      additionalPrinterColumns?: Array<PrinterColumn>
    }>
  }
  const names = spec.names ?? {}
  if (spec.group === undefined || names.plural === undefined || names.kind === undefined) return []
  return (spec.versions ?? []).filter((v) => v.served !== false && v.name !== undefined).map((v) => ({
    group: spec.group!,
    version: v.name!,
    resource: names.plural!,
    singular: names.singular ?? names.kind!.toLowerCase(),
    kind: names.kind!,
    listKind: names.listKind ?? `${names.kind}List`,
    namespaced: spec.scope !== "Cluster",
    shortNames: names.shortNames ?? [],
    categories: names.categories ?? [],
    statusSubresource: v.subresources?.status !== undefined,
    ...(v.schema?.openAPIV3Schema === undefined ? {} : { schema: v.schema.openAPIV3Schema }),
    ...(v.additionalPrinterColumns === undefined ? {} : { printerColumns: v.additionalPrinterColumns }),
    crd: crd.metadata.name ?? ""
  }))
}
