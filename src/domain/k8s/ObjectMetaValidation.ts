/**
 * Validation of `metadata` on create and update, as the apiserver's generic
 * ObjectMeta checks do it (apimachinery/pkg/api/validation/objectmeta.go):
 * names per resource rule, namespace presence, labels, annotations, finalizers,
 * owner references, and the fields that may not change on update. Returns field
 * errors (sorted by key for determinism, where Go iterates maps randomly).
 */
import * as FieldError from "./FieldError.js"
import { deepEqual, isArray, isObject, type Json, type JsonObject } from "./Json.js"
import * as Names from "./Names.js"

export const TotalAnnotationSizeLimitB = 256 * 1024

const str = (m: JsonObject, k: string): string => {
  const v = m[k]
  return typeof v === "string" ? v : ""
}

const stringMap = (v: Json | undefined): ReadonlyArray<[string, string]> =>
  isObject(v)
    ? Object.keys(v).sort().map((k): [string, string] => [k, typeof v[k] === "string" ? (v[k] as string) : String(v[k])])
    : []

export const validateLabels = (labels: Json | undefined, path: string): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  for (const [k, v] of stringMap(labels)) {
    for (const m of Names.isQualifiedName(k)) errs.push(FieldError.invalid(path, k, m))
    for (const m of Names.isValidLabelValue(v)) errs.push(FieldError.invalid(path, v, m))
  }
  return errs
}

export const validateAnnotations = (annotations: Json | undefined, path: string): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  let size = 0
  for (const [k, v] of stringMap(annotations)) {
    // annotation keys are qualified names, case-insensitively
    for (const m of Names.isQualifiedName(k.toLowerCase())) errs.push(FieldError.invalid(path, k, m))
    size += Buffer.byteLength(k, "utf8") + Buffer.byteLength(v, "utf8")
  }
  if (size > TotalAnnotationSizeLimitB) errs.push(FieldError.tooLong(path, "", TotalAnnotationSizeLimitB))
  return errs
}

export const validateFinalizers = (finalizers: Json | undefined, path: string): ReadonlyArray<FieldError.FieldError> => {
  if (!isArray(finalizers)) return []
  const errs: Array<FieldError.FieldError> = []
  for (const f of finalizers) {
    const s = typeof f === "string" ? f : String(f)
    for (const m of Names.isQualifiedName(s)) errs.push(FieldError.invalid(path, s, m))
  }
  if (finalizers.includes("orphan") && finalizers.includes("foregroundDeletion")) {
    errs.push(FieldError.invalid(path, finalizers, "finalizer orphan and foregroundDeletion cannot be both set"))
  }
  return errs
}

export const validateOwnerReferences = (refs: Json | undefined, path: string): ReadonlyArray<FieldError.FieldError> => {
  if (!isArray(refs)) return []
  const errs: Array<FieldError.FieldError> = []
  let controllers = 0
  refs.forEach((r, i) => {
    if (!isObject(r)) {
      errs.push(FieldError.invalid(FieldError.index(path, i), r, "must be an object"))
      return
    }
    const p = FieldError.index(path, i)
    for (const [k, what] of [["apiVersion", "version"], ["kind", "kind"], ["name", "name"], ["uid", "uid"]] as const) {
      if (str(r, k) === "") errs.push(FieldError.invalid(FieldError.child(p, k), "", `${what} must not be empty`))
    }
    if (r["controller"] === true) controllers++
  })
  if (controllers > 1) {
    errs.push(FieldError.invalid(path, refs, "Only one reference can have Controller set to true"))
  }
  return errs
}

export interface MetaRules {
  /** the resource is namespaced: a namespace is required (else forbidden) */
  readonly namespaced: boolean
  /** the rule for `metadata.name`, e.g. `Names.nameIsDNSSubdomain` (ConfigMap) or `nameIsDNSLabel` (Namespace) */
  readonly name: Names.NameRule
}

/** Checks done on every create (after generateName produced a name). */
export const validateObjectMeta = (meta: JsonObject, rules: MetaRules, path = "metadata"): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  const name = str(meta, "name")
  const generateName = str(meta, "generateName")
  if (generateName !== "") {
    for (const m of rules.name(generateName, true)) errs.push(FieldError.invalid(`${path}.generateName`, generateName, m))
  }
  if (name === "") errs.push(FieldError.required(`${path}.name`, "name or generateName is required"))
  else for (const m of rules.name(name, false)) errs.push(FieldError.invalid(`${path}.name`, name, m))
  const ns = str(meta, "namespace")
  if (rules.namespaced) {
    if (ns === "") errs.push(FieldError.required(`${path}.namespace`))
    else for (const m of Names.isDNS1123Label(ns)) errs.push(FieldError.invalid(`${path}.namespace`, ns, m))
  } else if (ns !== "") {
    errs.push(FieldError.forbidden(`${path}.namespace`, "not allowed on this type"))
  }
  const gen = meta["generation"]
  if (typeof gen === "number" && gen < 0) {
    errs.push(FieldError.invalid(`${path}.generation`, gen, "must be greater than or equal to 0"))
  }
  errs.push(...validateLabels(meta["labels"], `${path}.labels`))
  errs.push(...validateAnnotations(meta["annotations"], `${path}.annotations`))
  errs.push(...validateOwnerReferences(meta["ownerReferences"], `${path}.ownerReferences`))
  errs.push(...validateFinalizers(meta["finalizers"], `${path}.finalizers`))
  return errs
}

/** Go's `%#v` of a []string, used in the "no new finalizers" message. */
const goStringSlice = (xs: ReadonlyArray<string>): string => `[]string{${xs.map(FieldError.goQuote).join(", ")}}`

/** Create-time checks plus the fields an update may not change. */
export const validateObjectMetaUpdate = (
  meta: JsonObject,
  old: JsonObject,
  rules: MetaRules,
  path = "metadata"
): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = [...validateObjectMeta(meta, rules, path)]
  for (const k of ["name", "namespace", "uid", "creationTimestamp"]) {
    const now = meta[k]
    const was = old[k]
    if (!deepEqual(now ?? null, was ?? null)) {
      errs.push(FieldError.invalid(`${path}.${k}`, now ?? "", "field is immutable"))
    }
  }
  if (typeof old["deletionTimestamp"] === "string") {
    const before = new Set(isArray(old["finalizers"]) ? old["finalizers"] : [])
    const added = (isArray(meta["finalizers"]) ? meta["finalizers"] : [])
      .filter((f): f is string => typeof f === "string" && !before.has(f))
    if (added.length > 0) {
      errs.push(FieldError.forbidden(
        `${path}.finalizers`,
        `no new finalizers can be added if the object is being deleted, found new finalizers ${goStringSlice([...new Set(added)].sort())}`
      ))
    }
  }
  return errs
}
