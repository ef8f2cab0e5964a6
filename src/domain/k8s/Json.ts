/**
 * Plain JSON values as the API server handles them: request bodies, stored
 * objects and patches are all trees of these. The helpers here (type guards,
 * structural equality, deep copy) are shared by the patch, selector, schema and
 * table algorithms so each of them treats `null`, arrays and objects alike.
 */
export type Json = null | boolean | number | string | ReadonlyArray<Json> | JsonObject
export interface JsonObject {
  readonly [key: string]: Json
}

/** A mutable object node, used while building results. */
export type MutableJsonObject = { [key: string]: Json }

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v)

export const isArray = (v: unknown): v is ReadonlyArray<Json> => Array.isArray(v)

/** Structural equality; object key order does not matter, array order does. */
export const deepEqual = (a: Json | undefined, b: Json | undefined): boolean => {
  if (a === b) return true
  if (a === undefined || b === undefined || a === null || b === null) return false
  if (isArray(a)) {
    if (!isArray(b) || a.length !== b.length) return false
    return a.every((x, i) => deepEqual(x, b[i]))
  }
  if (isObject(a)) {
    if (!isObject(b)) return false
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}

/** A deep copy, so results never alias the caller's input. */
export const clone = <A extends Json>(v: A): A => {
  if (isArray(v)) return v.map((x) => clone(x)) as unknown as A
  if (isObject(v)) {
    const out: MutableJsonObject = {}
    for (const [k, x] of Object.entries(v)) out[k] = clone(x)
    return out as A
  }
  return v
}

/** Own-property lookup that never reaches into the prototype (`__proto__`, `constructor`). */
export const get = (o: JsonObject, key: string): Json | undefined =>
  Object.prototype.hasOwnProperty.call(o, key) ? o[key] : undefined

/** Sets a key on a mutable object without tripping the `__proto__` setter. */
export const set = (o: MutableJsonObject, key: string, value: Json): void => {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true })
}

/** The JSON type name as Kubernetes' schema errors spell it. */
export const typeName = (v: Json): "null" | "boolean" | "integer" | "number" | "string" | "array" | "object" => {
  if (v === null) return "null"
  if (typeof v === "boolean") return "boolean"
  if (typeof v === "number") return Number.isInteger(v) ? "integer" : "number"
  if (typeof v === "string") return "string"
  return isArray(v) ? "array" : "object"
}
