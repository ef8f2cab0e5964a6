/**
 * The minimal OpenAPI v3 documents kubectl needs before create/apply
 * (reference/kubernetes-wire.md section 3): a root listing every served
 * group-version under a hashed URL, and per group-version one PATCH operation per
 * kind carrying `x-kubernetes-group-version-kind` and the `fieldValidation` query
 * parameter. kubectl then leaves validation to the server (fieldValidation=Strict).
 */
import { createHash } from "node:crypto"
import type { Registry } from "./Registry.js"

const gvPath = (group: string, version: string) => (group === "" ? `api/${version}` : `apis/${group}/${version}`)

const groupVersions = (registry: Registry): Array<readonly [string, string]> => {
  const seen = new Map<string, readonly [string, string]>()
  for (const r of registry.all()) seen.set(gvPath(r.group, r.version), [r.group, r.version])
  return [...seen.values()]
}

export const document = (registry: Registry, group: string, version: string) => {
  const resources = registry.all().filter((r) => r.group === group && r.version === version)
  if (resources.length === 0) return undefined
  const paths: Record<string, unknown> = {}
  for (const r of resources) {
    const base = `/${gvPath(group, version)}${r.namespaced ? "/namespaces/{namespace}" : ""}/${r.resource}/{name}`
    paths[base] = {
      patch: {
        "x-kubernetes-group-version-kind": { group, version, kind: r.kind },
        parameters: [
          { name: "fieldValidation", in: "query", schema: { type: "string" } },
          { name: "dryRun", in: "query", schema: { type: "string" } },
          { name: "fieldManager", in: "query", schema: { type: "string" } }
        ],
        responses: {}
      }
    }
  }
  return { openapi: "3.0.0", info: { title: "rdd", version: "v1.32.4" }, components: { schemas: {} }, paths }
}

const hashOf = (value: unknown): string => createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 16).toUpperCase()

export const root = (registry: Registry) => {
  const paths: Record<string, { serverRelativeURL: string }> = {}
  for (const [group, version] of groupVersions(registry)) {
    const path = gvPath(group, version)
    paths[path] = { serverRelativeURL: `/openapi/v3/${path}?hash=${hashOf(document(registry, group, version))}` }
  }
  return { paths }
}
