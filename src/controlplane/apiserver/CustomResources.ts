/**
 * What makes custom resources and CRDs special: structural-schema validation,
 * defaulting and pruning of custom objects (src/domain/k8s/StructuralSchema.ts),
 * and the status the server gives a CRD when it accepts it (NamesAccepted and
 * Established at once: the resource is served from the moment the CRD is stored).
 */
import * as Effect from "effect/Effect"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as FieldError from "../../domain/k8s/FieldError.js"
import { isObject, type Json } from "../../domain/k8s/Json.js"
import * as StructuralSchema from "../../domain/k8s/StructuralSchema.js"
import type * as ApiError from "./ApiError.js"
import * as Meta from "./Meta.js"
import type { ResourceInfo } from "./Registry.js"
import * as Validation from "./Validation.js"

const schemaOf = (info: ResourceInfo): StructuralSchema.Schema | undefined =>
  info.crd !== undefined && isObject(info.schema) ? (info.schema as StructuralSchema.Schema) : undefined

/** Fields of a custom object unknown to its schema, as `spec.x` paths (fieldValidation=Strict). */
export const unknownFields = (info: ResourceInfo, o: KubeObject): ReadonlyArray<string> => {
  const schema = schemaOf(info)
  return schema === undefined ? [] : StructuralSchema.unknownFields(schema, o as unknown as Json)
}

/** Drops fields the schema does not know (unless x-kubernetes-preserve-unknown-fields). */
export const prune = (info: ResourceInfo, o: KubeObject): KubeObject => {
  const schema = schemaOf(info)
  return schema === undefined ? o : (StructuralSchema.prune(schema, o as unknown as Json) as unknown as KubeObject)
}

/**
 * Applies schema defaults, validates, and evaluates x-kubernetes-validations
 * (with the old object on update) of a custom object.
 */
export const defaultAndValidate = (
  info: ResourceInfo,
  o: KubeObject,
  old: KubeObject | undefined
): Effect.Effect<KubeObject, ApiError.ApiError> => {
  const schema = schemaOf(info)
  if (schema === undefined) return Effect.succeed(o)
  const defaulted = StructuralSchema.applyDefaults(schema, o as unknown as Json) as unknown as KubeObject
  const errs = [
    ...StructuralSchema.validate(schema, defaulted as unknown as Json),
    ...StructuralSchema.evaluateRules(schema, defaulted as unknown as Json, old as unknown as Json | undefined)
  ]
  return errs.length === 0 ? Effect.succeed(defaulted) : Effect.fail(Validation.invalid(info, o.metadata.name ?? "", errs))
}

/** A CRD (`info` is the CRD resource) follows the rules of `checkCrd`, else 422. */
export const checkDefinition = (info: ResourceInfo, crd: KubeObject): Effect.Effect<void, ApiError.ApiError> => {
  const errs = checkCrd(crd)
  return errs.length === 0 ? Effect.void : Effect.fail(Validation.invalid(info, crd.metadata.name ?? "", errs))
}

/** A CRD's own rules: names, scope, one storage version, schemas rdd can enforce. */
const checkCrd = (crd: KubeObject): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  const spec = isObject(crd["spec"]) ? crd["spec"] : {}
  const names = isObject(spec["names"]) ? spec["names"] : {}
  const group = typeof spec["group"] === "string" ? spec["group"] : ""
  const plural = typeof names["plural"] === "string" ? names["plural"] : ""
  if (group === "") errs.push(FieldError.required("spec.group"))
  if (plural === "") errs.push(FieldError.required("spec.names.plural"))
  if (typeof names["kind"] !== "string" || names["kind"] === "") errs.push(FieldError.required("spec.names.kind"))
  if (group !== "" && plural !== "" && crd.metadata.name !== `${plural}.${group}`) {
    errs.push(FieldError.invalid("metadata.name", crd.metadata.name ?? "", `must be spec.names.plural+"."+spec.group`))
  }
  if (spec["scope"] !== "Namespaced" && spec["scope"] !== "Cluster") {
    errs.push(FieldError.notSupported("spec.scope", (spec["scope"] ?? "") as Json, ["Cluster", "Namespaced"]))
  }
  const versions = Array.isArray(spec["versions"]) ? (spec["versions"] as ReadonlyArray<Json>) : []
  if (versions.length === 0) errs.push(FieldError.required("spec.versions", "must have exactly one version marked as storage version"))
  else if (versions.filter((v) => isObject(v) && v["storage"] === true).length !== 1) {
    errs.push(FieldError.invalid("spec.versions", versions as Json, "must have exactly one version marked as storage version"))
  }
  versions.forEach((v, i) => {
    if (!isObject(v)) return
    const schema = isObject(v["schema"]) ? v["schema"]["openAPIV3Schema"] : undefined
    if (isObject(schema)) errs.push(...StructuralSchema.checkSchema(schema, `spec.versions[${i}].schema.openAPIV3Schema`))
  })
  return errs
}

const condition = (type: string, reason: string, message: string, previous: ReadonlyArray<Record<string, unknown>>) => {
  const was = previous.find((c) => c["type"] === type && c["status"] === "True")
  return {
    type,
    status: "True",
    reason,
    message,
    lastTransitionTime: typeof was?.["lastTransitionTime"] === "string" ? was["lastTransitionTime"] : Meta.now()
  }
}

/** The status of an accepted CRD. */
export const establish = (crd: KubeObject): Effect.Effect<KubeObject, ApiError.ApiError> => {
  const spec = (crd["spec"] ?? {}) as { names?: Record<string, unknown>; versions?: Array<{ name?: string; storage?: boolean }> }
  const names = spec.names ?? {}
  const previous = ((crd["status"] as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions) ?? []
  const kind = String(names["kind"] ?? "")
  const storage = (spec.versions ?? []).filter((v) => v.storage === true).map((v) => v.name ?? "")
  return Effect.succeed({
    ...crd,
    status: {
      conditions: [
        condition("NamesAccepted", "NoConflicts", "no conflicts found", previous),
        condition("Established", "InitialNamesAccepted", "the initial names have been accepted", previous)
      ],
      acceptedNames: {
        plural: names["plural"],
        singular: names["singular"] ?? kind.toLowerCase(),
        kind,
        listKind: names["listKind"] ?? `${kind}List`,
        ...(names["shortNames"] === undefined ? {} : { shortNames: names["shortNames"] }),
        ...(names["categories"] === undefined ? {} : { categories: names["categories"] })
      },
      storedVersions: storage
    }
  })
}
