/**
 * The OpenAPI v3 documents kubectl reads (reference/kubernetes-wire.md section
 * 3): a root listing every served group-version under a hashed URL, and per
 * group-version
 * - one PATCH operation per kind carrying `x-kubernetes-group-version-kind` and
 *   the `fieldValidation` query parameter: kubectl then leaves validation to the
 *   server (fieldValidation=Strict) before create/apply. The operation declares
 *   no request body, so client-side `apply` keeps computing its patches as it
 *   does without schemas (kubectl only builds them from v3 when the operation
 *   accepts a strategic merge patch).
 * - the schema of each kind in `components.schemas`, tagged with its GVK, for
 *   `kubectl explain`: the built-in kinds' from BuiltinSchemas.ts, a custom
 *   resource's from its CRD's structural schema, completed as kube does with
 *   apiVersion, kind and a reference to ObjectMeta.
 * kubectl 1.32's `explain` reads only v3; /openapi/v2 is not served (404), which
 * `apply` tolerates.
 */
import { createHash } from "node:crypto"
import * as BuiltinSchemas from "../../domain/k8s/BuiltinSchemas.js"
import { isObject } from "./Meta.js"
import type { Registry, ResourceInfo } from "./Registry.js"

const gvPath = (group: string, version: string) => (group === "" ? `api/${version}` : `apis/${group}/${version}`)

const groupVersions = (registry: Registry): Array<readonly [string, string]> => {
  const seen = new Map<string, readonly [string, string]>()
  for (const r of registry.all()) seen.set(gvPath(r.group, r.version), [r.group, r.version])
  return [...seen.values()]
}

/** kube's naming of CRD schemas: the group reversed, e.g. `io.rancherdesktop.lima.v1alpha1.LimaVM`. */
const crdSchemaName = (r: ResourceInfo) => `${r.group.split(".").reverse().join(".")}.${r.version}.${r.kind}`

const customResourceSchema = (r: ResourceInfo): BuiltinSchemas.Schema => {
  const declared: BuiltinSchemas.Schema = isObject(r.schema) ? r.schema : { type: "object", "x-kubernetes-preserve-unknown-fields": true }
  const { apiVersion: _a, kind: _k, metadata: _m, ...own } = isObject(declared["properties"]) ? declared["properties"] : {}
  return {
    ...declared,
    type: "object",
    properties: {
      apiVersion: { type: "string", description: BuiltinSchemas.ApiVersionDescription },
      kind: { type: "string", description: BuiltinSchemas.KindDescription },
      metadata: BuiltinSchemas.ref(BuiltinSchemas.ObjectMetaName, BuiltinSchemas.MetadataDescription),
      ...own
    }
  }
}

/** The schema of a served kind, by kube's name, or undefined for a built-in kind without one. */
const kindSchema = (r: ResourceInfo): readonly [string, BuiltinSchemas.Schema] | undefined => {
  const gvk = { "x-kubernetes-group-version-kind": [{ group: r.group, version: r.version, kind: r.kind }] }
  if (r.crd !== undefined) return [crdSchemaName(r), { ...customResourceSchema(r), ...gvk }]
  const builtin = BuiltinSchemas.Kinds[`${r.group}/${r.version}/${r.kind}`]
  return builtin === undefined ? undefined : [builtin.name, { ...builtin.schema, ...gvk }]
}

export const document = (registry: Registry, group: string, version: string) => {
  const resources = registry.all().filter((r) => r.group === group && r.version === version)
  if (resources.length === 0) return undefined
  const schemas: Record<string, unknown> = { ...BuiltinSchemas.Shared }
  for (const r of resources) {
    const named = kindSchema(r)
    if (named !== undefined) schemas[named[0]] = named[1]
  }
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
  return { openapi: "3.0.0", info: { title: "rdd", version: "v1.32.4" }, components: { schemas }, paths }
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
