/**
 * `events.k8s.io/v1` Event <-> core `v1` Event: in Kubernetes both are views of
 * one stored object (pkg/apis/events/v1/conversion.go). Fields with the same
 * meaning keep their name (eventTime, series, action, reason, related, type,
 * reportingInstance); the rest are renamed:
 *
 *   regarding <-> involvedObject        note <-> message
 *   reportingController <-> reportingComponent
 *   deprecatedSource <-> source         deprecatedCount <-> count
 *   deprecatedFirstTimestamp <-> firstTimestamp
 *   deprecatedLastTimestamp <-> lastTimestamp
 */
import type { KubeObject } from "../KubeObject.js"
import * as FieldError from "./FieldError.js"

export const ApiVersion = "events.k8s.io/v1"

/** v1 field name -> core field name (fields not listed keep their name) */
const renamed: ReadonlyArray<readonly [string, string]> = [
  ["regarding", "involvedObject"],
  ["note", "message"],
  ["reportingController", "reportingComponent"],
  ["deprecatedSource", "source"],
  ["deprecatedCount", "count"],
  ["deprecatedFirstTimestamp", "firstTimestamp"],
  ["deprecatedLastTimestamp", "lastTimestamp"]
]

const same = ["eventTime", "series", "action", "reason", "related", "type", "reportingInstance"]

/** The top-level fields of an events.k8s.io/v1 Event. */
export const Fields: ReadonlyArray<string> = ["apiVersion", "kind", "metadata", ...same, ...renamed.map(([v1]) => v1)]

const rename = (o: KubeObject, pairs: ReadonlyArray<readonly [string, string]>, apiVersion: string): KubeObject => {
  const out: Record<string, unknown> = {}
  const map = new Map(pairs)
  for (const [k, v] of Object.entries(o)) {
    if (k === "apiVersion" || k === "kind") continue
    const to = map.get(k) ?? k
    // a field with the other view's name has no place in this one (it would shadow the renamed field)
    if (map.get(k) === undefined && pairs.some(([, target]) => target === k)) continue
    out[to] = v
  }
  return { ...out, apiVersion, kind: "Event", metadata: o.metadata } as KubeObject
}

export const toCore = (o: KubeObject): KubeObject => rename(o, renamed, "v1")

export const fromCore = (o: KubeObject): KubeObject => rename(o, renamed.map(([a, b]) => [b, a] as const), ApiVersion)

/** Field selector labels of the v1 view, in core's names (the storage's field labels). */
export const fieldSelectorToCore = (selector: string): string =>
  selector.replace(/(^|,)\s*(regarding|reportingController|deprecatedSource)(?=[.!=\s])/g, (_m, sep: string, f: string) =>
    `${sep}${f === "regarding" ? "involvedObject" : f === "reportingController" ? "reportingComponent" : "source"}`)

/**
 * The checks kube adds for Events created through events.k8s.io/v1
 * (pkg/apis/core/validation/events.go, ValidateEventCreate for v1): the new
 * API's required fields, and none of the deprecated core-only ones.
 */
export const validateCreate = (o: KubeObject): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  const str = (f: string) => (typeof o[f] === "string" ? (o[f] as string) : "")
  if (str("eventTime") === "") errs.push(FieldError.required("eventTime"))
  const type = str("type")
  if (type !== "Normal" && type !== "Warning") errs.push(FieldError.invalid("type", "", `has invalid value: ${type}`))
  if (str("reportingController") === "") errs.push(FieldError.required("reportingController"))
  if (str("reportingInstance") === "") errs.push(FieldError.required("reportingInstance"))
  if (str("action") === "") errs.push(FieldError.required("action"))
  if (str("reason") === "") errs.push(FieldError.required("reason"))
  if (str("note").length > 1024) errs.push(FieldError.tooLong("note", "", 1024))
  for (const f of ["deprecatedFirstTimestamp", "deprecatedLastTimestamp", "deprecatedCount", "deprecatedSource"]) {
    const v = o[f]
    if (v !== undefined && v !== null && v !== 0 && v !== "" && !(typeof v === "object" && Object.keys(v).length === 0)) {
      errs.push(FieldError.invalid(f, "", "needs to be unset"))
    }
  }
  return errs
}
