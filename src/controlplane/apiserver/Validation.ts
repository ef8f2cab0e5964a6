/**
 * Create/update validation every kind shares: metadata (names, labels,
 * annotations, finalizers, owner references, immutable fields) and the strict
 * field checks of built-in kinds. A kind's own rules are in its strategy
 * (Strategy.ts).
 */
import type { KubeObject } from "../../domain/KubeObject.js"
import * as FieldError from "../../domain/k8s/FieldError.js"
import type { JsonObject } from "../../domain/k8s/Json.js"
import * as Names from "../../domain/k8s/Names.js"
import * as MetaValidation from "../../domain/k8s/ObjectMetaValidation.js"
import * as Status from "../../domain/k8s/Status.js"
import * as ApiError from "./ApiError.js"
import { isObject } from "./Meta.js"
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

export const invalid = (info: ResourceInfo, name: string, errs: ReadonlyArray<FieldError.FieldError>): ApiError.ApiError =>
  ApiError.of(Status.invalid({ group: info.group, kind: info.kind }, name, errs))

/** Metadata of a new object (name already generated). */
export const validateMetadata = (info: ResourceInfo, name: Names.NameRule, o: KubeObject): ReadonlyArray<FieldError.FieldError> =>
  MetaValidation.validateObjectMeta(o.metadata as unknown as JsonObject, { namespaced: info.namespaced, name })

/** Metadata of an updated object against the stored one. */
export const validateMetadataUpdate = (
  info: ResourceInfo,
  name: Names.NameRule,
  o: KubeObject,
  old: KubeObject
): ReadonlyArray<FieldError.FieldError> =>
  MetaValidation.validateObjectMetaUpdate(o.metadata as unknown as JsonObject, old.metadata as unknown as JsonObject, {
    namespaced: info.namespaced,
    name
  })
