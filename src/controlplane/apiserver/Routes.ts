/**
 * URL paths of the Kubernetes API mapped to what they address: a collection or
 * an object of a resource type, in a namespace or not, optionally a subresource.
 * Pure: the handler resolves the resource type against the registry.
 */
export type Route =
  | { readonly _tag: "Resource"; readonly group: string; readonly version: string; readonly namespace: string; readonly resource: string; readonly name: string; readonly subresource: string }
  | { readonly _tag: "Other" }

const decode = (s: string): string | undefined => {
  try {
    return decodeURIComponent(s)
  } catch {
    return undefined
  }
}

/**
 * `/api/v1/...` or `/apis/<g>/<v>/...` followed by `[namespaces/<ns>/]<resource>[/<name>[/<sub>]]`.
 * `namespaces/<name>[/status|finalize]` is the namespace object itself.
 */
export const parse = (path: string, isNamespaced: (group: string, version: string, resource: string) => boolean): Route => {
  const raw = path.split("/").slice(1)
  if (raw.some((s) => s === "" || s === "." || s === "..")) return { _tag: "Other" }
  const segs = raw.map(decode)
  if (segs.some((s) => s === undefined || s.includes("/"))) return { _tag: "Other" }
  const parts = segs as Array<string>
  let group: string
  let version: string
  let rest: Array<string>
  if (parts[0] === "api" && parts.length >= 3) {
    group = ""
    version = parts[1]!
    rest = parts.slice(2)
  } else if (parts[0] === "apis" && parts.length >= 4) {
    group = parts[1]!
    version = parts[2]!
    rest = parts.slice(3)
  } else {
    return { _tag: "Other" }
  }
  if (rest[0] === "namespaces" && rest.length >= 3 && isNamespaced(group, version, rest[2]!)) {
    if (rest.length > 5) return { _tag: "Other" }
    return { _tag: "Resource", group, version, namespace: rest[1]!, resource: rest[2]!, name: rest[3] ?? "", subresource: rest[4] ?? "" }
  }
  if (rest.length > 3) return { _tag: "Other" }
  return { _tag: "Resource", group, version, namespace: "", resource: rest[0]!, name: rest[1] ?? "", subresource: rest[2] ?? "" }
}
