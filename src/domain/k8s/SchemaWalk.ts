/**
 * Read access to an openAPIV3Schema node of a CRD (a structural schema): its
 * type, properties, items, additionalProperties and the x-kubernetes-*
 * extensions, shared by validation, defaulting, pruning and rule evaluation.
 */
import { isArray, isObject, type Json, type JsonObject } from "./Json.js"

/** A schema node exactly as written in the CRD (`openAPIV3Schema` and below). */
export type Schema = JsonObject

export const typeOf = (s: Schema): string | undefined => (typeof s["type"] === "string" ? s["type"] : undefined)
export const properties = (s: Schema): JsonObject | undefined => (isObject(s["properties"]) ? s["properties"] : undefined)
export const property = (s: Schema, k: string): Schema | undefined => {
  const p = properties(s)
  const v = p !== undefined && Object.prototype.hasOwnProperty.call(p, k) ? p[k] : undefined
  return isObject(v) ? v : undefined
}
/** additionalProperties: a schema for map values, `true` (anything), or absent. */
export const additional = (s: Schema): Schema | true | undefined => {
  const a = s["additionalProperties"]
  return isObject(a) ? a : a === true ? true : undefined
}
export const items = (s: Schema): Schema | undefined => (isObject(s["items"]) ? s["items"] : undefined)
export const preservesUnknown = (s: Schema): boolean => s["x-kubernetes-preserve-unknown-fields"] === true
export const intOrString = (s: Schema): boolean => s["x-kubernetes-int-or-string"] === true
export const embedded = (s: Schema): boolean => s["x-kubernetes-embedded-resource"] === true
export const nullable = (s: Schema): boolean => s["nullable"] === true
export const hasDefault = (s: Schema): boolean => Object.prototype.hasOwnProperty.call(s, "default")
export const listType = (s: Schema): string | undefined =>
  typeof s["x-kubernetes-list-type"] === "string" ? s["x-kubernetes-list-type"] : undefined
export const listMapKeys = (s: Schema): ReadonlyArray<string> => {
  const k = s["x-kubernetes-list-map-keys"]
  return isArray(k) ? k.filter((x): x is string => typeof x === "string") : []
}
export const num = (s: Schema, k: string): number | undefined => (typeof s[k] === "number" ? (s[k] as number) : undefined)

/** The child schema for key `k` of an object value (a property, else additionalProperties). */
export const childSchema = (s: Schema, k: string): Schema | true | undefined => property(s, k) ?? additional(s)

/** Field path helpers: `spec` + `x` → `spec.x`; index → `spec.items[0]`. */
export const child = (path: string, k: string): string => (path === "" ? k : `${path}.${k}`)
export const index = (path: string, i: number): string => `${path}[${i}]`

/** The keys every object keeps at the top level (and in embedded resources). */
export const isTypeMetaOrMeta = (k: string): boolean => k === "apiVersion" || k === "kind" || k === "metadata"

export const hasOwn = (o: JsonObject, k: string): boolean => Object.prototype.hasOwnProperty.call(o, k)

export type { Json }
