/**
 * Kubernetes objects as rdd's commands and controllers see them: loosely typed
 * JSON with typed metadata, addressed by group/version/resource.
 */
export interface ObjectMeta {
  readonly name?: string
  readonly generateName?: string
  readonly namespace?: string
  readonly uid?: string
  readonly resourceVersion?: string
  readonly generation?: number
  readonly creationTimestamp?: string
  readonly deletionTimestamp?: string
  readonly deletionGracePeriodSeconds?: number
  readonly labels?: Readonly<Record<string, string>>
  readonly annotations?: Readonly<Record<string, string>>
  readonly finalizers?: ReadonlyArray<string>
  readonly ownerReferences?: ReadonlyArray<OwnerReference>
}

export interface OwnerReference {
  readonly apiVersion: string
  readonly kind: string
  readonly name: string
  readonly uid: string
  readonly controller?: boolean
  readonly blockOwnerDeletion?: boolean
}

export interface KubeObject {
  readonly apiVersion: string
  readonly kind: string
  readonly metadata: ObjectMeta
  readonly [key: string]: unknown
}

/** Which resource collection: `group` is "" for core. */
export interface ResourceType {
  readonly group: string
  readonly version: string
  /** plural, lower case */
  readonly resource: string
  readonly namespaced: boolean
}

export interface ObjectRef {
  readonly type: ResourceType
  readonly namespace?: string
  readonly name: string
}

export const apiVersionOf = (t: ResourceType): string => (t.group === "" ? t.version : `${t.group}/${t.version}`)

export interface Condition {
  readonly type: string
  readonly status: "True" | "False" | "Unknown"
  readonly reason?: string
  readonly message?: string
  readonly lastTransitionTime?: string
  readonly observedGeneration?: number
}

export type WatchEvent =
  | { readonly type: "ADDED" | "MODIFIED" | "DELETED"; readonly object: KubeObject }
  | { readonly type: "BOOKMARK"; readonly resourceVersion: string }

export const Core = {
  namespaces: { group: "", version: "v1", resource: "namespaces", namespaced: false },
  configmaps: { group: "", version: "v1", resource: "configmaps", namespaced: true },
  secrets: { group: "", version: "v1", resource: "secrets", namespaced: true },
  events: { group: "", version: "v1", resource: "events", namespaced: true },
  serviceaccounts: { group: "", version: "v1", resource: "serviceaccounts", namespaced: true },
  crds: { group: "apiextensions.k8s.io", version: "v1", resource: "customresourcedefinitions", namespaced: false }
} as const satisfies Record<string, ResourceType>
