/**
 * Create/update validation of one object before admission: metadata (names,
 * labels, annotations, finalizers, owner references, immutable fields), strict
 * field checks of built-in kinds, the few per-kind rules kube enforces for the
 * kinds rdd serves, and the CRD schema hook for custom resources.
 */
import type { KubeObject } from "../../domain/KubeObject.js"
import * as FieldError from "../../domain/k8s/FieldError.js"
import type { JsonObject } from "../../domain/k8s/Json.js"
import * as Names from "../../domain/k8s/Names.js"
import * as MetaValidation from "../../domain/k8s/ObjectMetaValidation.js"
import * as Status from "../../domain/k8s/Status.js"
import * as ApiError from "./ApiError.js"
import { deepEqual, isObject } from "./Meta.js"
import type { ResourceInfo } from "./Registry.js"

const metaFields = new Set([
  "name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation", "creationTimestamp",
  "deletionTimestamp", "deletionGracePeriodSeconds", "labels", "annotations", "ownerReferences", "finalizers", "managedFields"
])

/** Unknown fields of a built-in kind: listed for Strict, dropped otherwise (Go structs ignore them). */
export const unknownBuiltinFields = (info: ResourceInfo, body: Record<string, unknown>): ReadonlyArray<string> => {
  if (info.fields === undefined) return []
  const unknown = Object.keys(body).filter((k) => !info.fields!.includes(k))
  const meta = body["metadata"]
  if (isObject(meta)) for (const k of Object.keys(meta)) if (!metaFields.has(k)) unknown.push(`metadata.${k}`)
  return unknown
}

export const strictError = (info: ResourceInfo, unknown: ReadonlyArray<string>): ApiError.ApiError =>
  ApiError.badRequest(
    `${info.kind} in version "${info.version}" cannot be handled as a ${info.kind}: strict decoding error: ${
      unknown.map((f) => `unknown field "${f}"`).join(", ")
    }`
  )

export const dropUnknownBuiltinFields = (info: ResourceInfo, body: KubeObject): KubeObject => {
  if (info.fields === undefined) return body
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body)) if (info.fields.includes(k)) out[k] = v
  const meta: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(body.metadata)) if (metaFields.has(k)) meta[k] = v
  return { ...(out as KubeObject), metadata: meta }
}

const nameRule = (info: ResourceInfo): Names.NameRule =>
  info.resource === "namespaces" ? Names.nameIsDNSLabel
  : info.group === "" || info.group.endsWith(".k8s.io") ? Names.nameIsDNSSubdomain
  : Names.nameIsPathSegment

const kindErrors = (info: ResourceInfo, o: KubeObject): Array<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  if (info.group === "" && (info.resource === "configmaps" || info.resource === "secrets")) {
    for (const field of ["data", "binaryData", "stringData"]) {
      const m = o[field]
      if (m === undefined || m === null) continue
      if (!isObject(m)) {
        errs.push(FieldError.typeInvalid(field, JSON.stringify(m), "must be a map of strings"))
        continue
      }
      for (const [k, v] of Object.entries(m)) {
        for (const msg of Names.isConfigMapKey(k)) errs.push(FieldError.invalid(`${field}[${k}]`, k, msg))
        if (typeof v !== "string") errs.push(FieldError.typeInvalid(`${field}[${k}]`, JSON.stringify(v), "must be a string"))
      }
    }
  }
  return errs
}

export const invalid = (info: ResourceInfo, name: string, errs: ReadonlyArray<FieldError.FieldError>): ApiError.ApiError =>
  ApiError.of(Status.invalid({ group: info.group, kind: info.kind }, name, errs))

/** Validation of a new object (name already generated). */
export const validateCreate = (info: ResourceInfo, o: KubeObject): ReadonlyArray<FieldError.FieldError> => [
  ...MetaValidation.validateObjectMeta(o.metadata as unknown as JsonObject, { namespaced: info.namespaced, name: nameRule(info) }),
  ...kindErrors(info, o)
]

export const validateUpdate = (info: ResourceInfo, o: KubeObject, old: KubeObject): ReadonlyArray<FieldError.FieldError> => {
  const errs = [
    ...MetaValidation.validateObjectMetaUpdate(o.metadata as unknown as JsonObject, old.metadata as unknown as JsonObject, {
      namespaced: info.namespaced,
      name: nameRule(info)
    }),
    ...kindErrors(info, o)
  ]
  if (info.group === "" && (info.resource === "configmaps" || info.resource === "secrets") && old["immutable"] === true) {
    for (const f of ["data", "binaryData"]) {
      if (!deepEqual(o[f] ?? null, old[f] ?? null)) {
        errs.push(FieldError.forbidden(f, "field is immutable when `immutable` is set"))
      }
    }
    if (o["immutable"] !== true) errs.push(FieldError.forbidden("immutable", "field is immutable when `immutable` is set"))
  }
  return errs
}
