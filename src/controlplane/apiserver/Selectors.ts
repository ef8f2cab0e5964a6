/**
 * Label and field selectors of list/watch requests compiled into one predicate.
 * Field selectors support what kubectl sends: metadata.name, metadata.namespace
 * and, for events, involvedObject.* (kubectl describe).
 */
import * as Either from "effect/Either"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as FieldSelector from "../../domain/k8s/FieldSelector.js"
import * as LabelSelector from "../../domain/k8s/LabelSelector.js"
import * as ApiError from "./ApiError.js"

export type Predicate = (o: KubeObject) => boolean

const fieldValue = (o: KubeObject, path: string): string | undefined => {
  switch (path) {
    case "metadata.name": return o.metadata.name
    case "metadata.namespace": return o.metadata.namespace ?? ""
  }
  let v: unknown = o
  for (const part of path.split(".")) v = typeof v === "object" && v !== null ? (v as Record<string, unknown>)[part] : undefined
  return v === undefined || v === null ? "" : typeof v === "string" ? v : String(v)
}

const common = ["metadata.name", "metadata.namespace"]
/** The field labels Kubernetes supports per kind (others are a 400, not a silent empty result). */
const supportedFields: Readonly<Record<string, ReadonlyArray<string>>> = {
  "/events": [
    ...common, "involvedObject.kind", "involvedObject.namespace", "involvedObject.name", "involvedObject.uid",
    "involvedObject.apiVersion", "involvedObject.resourceVersion", "involvedObject.fieldPath", "reason",
    "reportingComponent", "source", "type"
  ],
  "/secrets": [...common, "type"],
  "/namespaces": [...common, "status.phase"]
}

export const compile = (
  labelSelector: string | undefined,
  fieldSelector: string | undefined,
  info?: { readonly group: string; readonly resource: string }
): Either.Either<Predicate, ApiError.ApiError> => {
  const preds: Array<Predicate> = []
  if (labelSelector !== undefined && labelSelector.trim() !== "") {
    const parsed = LabelSelector.parse(labelSelector)
    if (Either.isLeft(parsed)) return Either.left(ApiError.badRequest(parsed.left))
    const selector = parsed.right
    preds.push((o) => LabelSelector.matches(selector, o.metadata.labels ?? {}))
  }
  if (fieldSelector !== undefined && fieldSelector.trim() !== "") {
    const parsed = FieldSelector.parse(fieldSelector)
    if (Either.isLeft(parsed)) return Either.left(ApiError.badRequest(parsed.left))
    const selector = parsed.right
    if (info !== undefined) {
      const allowed = supportedFields[`${info.group}/${info.resource}`] ?? common
      const unsupported = FieldSelector.fields(selector).find((f) => !allowed.includes(f))
      if (unsupported !== undefined) return Either.left(ApiError.badRequest(`field label not supported: ${unsupported}`))
    }
    preds.push((o) => FieldSelector.matches(selector, (path) => fieldValue(o, path)))
  }
  return Either.right(preds.length === 0 ? () => true : (o) => preds.every((p) => p(o)))
}
