/**
 * Discovery documents in the legacy form (APIVersions, APIGroupList, APIGroup,
 * APIResourceList), which kubectl 1.32 and client-node both use fully
 * (reference/kubernetes-wire.md section 2). Built from the registry on each
 * request, so an established CRD shows up at once.
 */
import { Verbs, type Registry, type ResourceInfo } from "./Registry.js"

export const apiVersions = (address: string) => ({
  kind: "APIVersions",
  versions: ["v1"],
  serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: address }]
})

const groupsOf = (registry: Registry): Map<string, Array<string>> => {
  const groups = new Map<string, Array<string>>()
  for (const r of registry.all()) {
    if (r.group === "") continue
    const versions = groups.get(r.group) ?? []
    if (!versions.includes(r.version)) versions.push(r.version)
    groups.set(r.group, versions)
  }
  return groups
}

const apiGroup = (name: string, versions: ReadonlyArray<string>) => {
  const vs = versions.map((v) => ({ groupVersion: `${name}/${v}`, version: v }))
  return { name, versions: vs, preferredVersion: vs[0]! }
}

export const apiGroupList = (registry: Registry) => ({
  kind: "APIGroupList",
  apiVersion: "v1",
  groups: [...groupsOf(registry)].map(([name, versions]) => apiGroup(name, versions))
})

export const apiGroupDoc = (registry: Registry, group: string) => {
  const versions = groupsOf(registry).get(group)
  return versions === undefined ? undefined : { kind: "APIGroup", apiVersion: "v1", ...apiGroup(group, versions) }
}

const entries = (r: ResourceInfo) => [
  {
    name: r.resource,
    singularName: r.singular,
    namespaced: r.namespaced,
    kind: r.kind,
    verbs: [...(r.verbs ?? Verbs)],
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length > 0 ? { categories: r.categories } : {})
  },
  ...(r.statusSubresource
    ? [{ name: `${r.resource}/status`, singularName: "", namespaced: r.namespaced, kind: r.kind, verbs: ["get", "patch", "update"] }]
    : [])
]

export const apiResourceList = (registry: Registry, group: string, version: string) => {
  const resources = registry.all().filter((r) => r.group === group && r.version === version)
  if (resources.length === 0) return undefined
  return {
    kind: "APIResourceList",
    apiVersion: "v1",
    groupVersion: group === "" ? version : `${group}/${version}`,
    resources: resources.flatMap(entries)
  }
}

/** kubectl 1.32 asks for aggregated discovery first; it is recognised by the response Content-Type. */
export const AggregatedContentType = "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

export const wantsAggregated = (accept: string | undefined): boolean =>
  accept !== undefined && /as=APIGroupDiscoveryList/.test(accept) && /g=apidiscovery\.k8s\.io;v=v2(;|,|$)/.test(accept.replace(/\s/g, ""))

const aggregatedResource = (r: ResourceInfo) => {
  const responseKind = { group: r.group, version: r.version, kind: r.kind }
  return {
    resource: r.resource,
    responseKind,
    scope: r.namespaced ? "Namespaced" : "Cluster",
    singularResource: r.singular,
    verbs: [...(r.verbs ?? Verbs)],
    ...(r.shortNames.length > 0 ? { shortNames: r.shortNames } : {}),
    ...(r.categories.length > 0 ? { categories: r.categories } : {}),
    ...(r.statusSubresource ? { subresources: [{ subresource: "status", responseKind, verbs: ["get", "patch", "update"] }] } : {})
  }
}

/** APIGroupDiscoveryList for `/api` (core, group "") or `/apis` (every other group). */
export const aggregated = (registry: Registry, core: boolean) => {
  const groups = new Map<string, Map<string, Array<ResourceInfo>>>()
  for (const r of registry.all()) {
    if ((r.group === "") !== core) continue
    const versions = groups.get(r.group) ?? new Map<string, Array<ResourceInfo>>()
    versions.set(r.version, [...(versions.get(r.version) ?? []), r])
    groups.set(r.group, versions)
  }
  return {
    kind: "APIGroupDiscoveryList",
    apiVersion: "apidiscovery.k8s.io/v2",
    metadata: {},
    items: [...groups].map(([name, versions]) => ({
      metadata: { name },
      versions: [...versions].map(([version, resources]) => ({ version, freshness: "Current", resources: resources.map(aggregatedResource) }))
    }))
  }
}
