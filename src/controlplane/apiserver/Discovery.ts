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
    verbs: [...Verbs],
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
