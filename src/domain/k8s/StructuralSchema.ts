/**
 * CRD openAPIV3Schema semantics for custom resources, as the apiextensions
 * apiserver applies them on every write: `unknownFields` (fieldValidation=Strict),
 * `prune` (drop fields the schema does not know unless
 * x-kubernetes-preserve-unknown-fields), `applyDefaults`, `validate` (types,
 * formats, enum, bounds, lengths, pattern, items, required, list types) with the
 * field errors kube prints, and, from CrdRules.ts, `evaluateRules` and
 * `checkSchema`. Callers run them in the server's order: strict check, prune,
 * default, validate, rules.
 */
import * as FieldError from "./FieldError.js"
import { clone, deepEqual, isArray, isObject, set, typeName, type Json, type MutableJsonObject } from "./Json.js"
import * as S from "./SchemaWalk.js"

export type Schema = S.Schema
export { checkSchema, evaluateRules } from "./CrdRules.js"

// ---- pruning and strict decoding -----------------------------------------------------------

const walkUnknown = (s: Schema | true | undefined, v: Json, path: string, root: boolean, onUnknown: (p: string) => void): Json => {
  if (s === true || s === undefined) return v
  if (isObject(v)) {
    const keepMeta = root || S.embedded(s)
    const keepAll = S.preservesUnknown(s) || S.additional(s) === true
    const out: MutableJsonObject = {}
    for (const [k, x] of Object.entries(v)) {
      // ObjectMeta is not the CRD schema's business (only name rules are), and
      // apiVersion/kind are always kept
      if (keepMeta && (k === "metadata" || (S.isTypeMetaOrMeta(k) && S.property(s, k) === undefined))) {
        set(out, k, x)
        continue
      }
      const cs = S.childSchema(s, k)
      if (cs !== undefined) set(out, k, walkUnknown(cs, x, S.child(path, k), false, onUnknown))
      else if (keepAll) set(out, k, x)
      else onUnknown(S.child(path, k))
    }
    return out
  }
  if (isArray(v)) {
    const is = S.items(s)
    return is === undefined ? v : v.map((x, i) => walkUnknown(is, x, S.index(path, i), false, onUnknown))
  }
  return v
}

/** Paths of fields the schema does not know (`spec.bogus`), for `unknown field "spec.bogus"` errors. */
export const unknownFields = (schema: Schema, obj: Json): ReadonlyArray<string> => {
  const out: Array<string> = []
  walkUnknown(schema, obj, "", true, (p) => out.push(p))
  return out
}

/** Drops unknown fields; apiVersion, kind and metadata of the object are always kept. */
export const prune = (schema: Schema, obj: Json): Json => walkUnknown(schema, clone(obj), "", true, () => undefined)

// ---- defaulting -----------------------------------------------------------------------------

/**
 * Fills `default`s of absent properties (and of nulls in non-nullable ones),
 * recursing into objects, map values and list items; non-nullable nulls
 * without a default are removed, as the apiserver does.
 */
export const applyDefaults = (schema: Schema, obj: Json): Json => {
  const go = (s: Schema | true | undefined, v: Json): Json => {
    if (s === true || s === undefined) return v
    if (isObject(v)) {
      const out: MutableJsonObject = {}
      for (const [k, x] of Object.entries(v)) set(out, k, x)
      const props = S.properties(s) ?? {}
      for (const k of Object.keys(props)) {
        const p = S.property(s, k)
        if (p === undefined) continue
        const present = S.hasOwn(out, k)
        if (!present || (out[k] === null && !S.nullable(p))) {
          if (S.hasDefault(p)) set(out, k, clone(p["default"] ?? null))
          else if (present) delete out[k]
        }
      }
      for (const [k, x] of Object.entries(out)) set(out, k, go(S.childSchema(s, k), x))
      return out
    }
    if (isArray(v)) {
      const is = S.items(s)
      return is === undefined ? v : v.map((x) => go(is, x))
    }
    return v
  }
  return go(schema, clone(obj))
}

// ---- validation -----------------------------------------------------------------------------

const stringFormats: Record<string, RegExp> = {
  "date-time": /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  datetime: /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  byte: /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/,
  uuid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  ipv4: /^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/,
  hostname: /^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/,
  duration: /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h|d|w))+$|^0$/
}

/** A schema pattern as a RegExp; undefined when it does not compile (checkSchema refuses those CRDs). */
export const compilePattern = (pattern: string): RegExp | undefined => {
  try {
    return new RegExp(pattern, "u")
  } catch {
    return undefined
  }
}

const matchesType = (type: string, v: Json): boolean => {
  switch (type) {
    case "object":
      return isObject(v)
    case "array":
      return isArray(v)
    case "string":
      return typeof v === "string"
    case "integer":
      return typeof v === "number" && Number.isInteger(v)
    case "number":
      return typeof v === "number"
    case "boolean":
      return typeof v === "boolean"
  }
  return true
}

const enumText = (v: Json): string => (typeof v === "string" ? v : JSON.stringify(v))

const validateNode = (s: Schema, v: Json, path: string, root: boolean, errs: Array<FieldError.FieldError>): void => {
  const name = path
  const type = S.typeOf(s)
  if (v === null) {
    if (S.nullable(s) || type === undefined) return
    errs.push(FieldError.typeInvalid(path, "null", `${name} in body must be of type ${type}: "null"`))
    return
  }
  if (S.intOrString(s)) {
    if (!(typeof v === "string" || (typeof v === "number" && Number.isInteger(v)))) {
      errs.push(FieldError.typeInvalid(path, typeName(v), `${name} in body must be of type integer,string: "${typeName(v)}"`))
      return
    }
  } else if (type !== undefined && !matchesType(type, v)) {
    errs.push(FieldError.typeInvalid(path, typeName(v), `${name} in body must be of type ${type}: "${typeName(v)}"`))
    return
  }
  validateJunctors(s, v, path, errs)
  const format = typeof s["format"] === "string" ? s["format"] : undefined
  if (format !== undefined) {
    // integer formats (int32/int64) are not range-checked by the real server either
    const re = stringFormats[format]
    const bad = typeof v === "string" && re !== undefined && !re.test(v)
    if (bad) errs.push(FieldError.typeInvalid(path, v, `${name} in body must be of type ${format}: ${FieldError.goQuote(String(v))}`))
  }
  const en = s["enum"]
  if (isArray(en) && !en.some((e) => deepEqual(e, v))) errs.push(FieldError.notSupported(path, v, en.map(enumText)))

  if (typeof v === "string") {
    const len = [...v].length
    const max = S.num(s, "maxLength")
    const min = S.num(s, "minLength")
    if (max !== undefined && len > max) errs.push(FieldError.tooLong(path, v, max))
    if (min !== undefined && len < min) errs.push(FieldError.invalid(path, v, `${name} in body should be at least ${min} chars long`))
    const re = typeof s["pattern"] === "string" ? compilePattern(s["pattern"]) : undefined
    if (re !== undefined && !re.test(v)) errs.push(FieldError.invalid(path, v, `${name} in body should match '${String(s["pattern"])}'`))
  }
  if (typeof v === "number") {
    const max = S.num(s, "maximum")
    const min = S.num(s, "minimum")
    const xmax = s["exclusiveMaximum"] === true
    const xmin = s["exclusiveMinimum"] === true
    if (max !== undefined && (xmax ? v >= max : v > max)) {
      errs.push(FieldError.invalid(path, v, `${name} in body should be less than ${xmax ? "" : "or equal to "}${FieldError.goNumber(max)}`))
    }
    if (min !== undefined && (xmin ? v <= min : v < min)) {
      errs.push(FieldError.invalid(path, v, `${name} in body should be greater than ${xmin ? "" : "or equal to "}${FieldError.goNumber(min)}`))
    }
    const mult = S.num(s, "multipleOf")
    if (mult !== undefined && mult > 0 && !Number.isInteger(v / mult)) {
      errs.push(FieldError.invalid(path, v, `${name} in body should be a multiple of ${FieldError.goNumber(mult)}`))
    }
  }
  if (isArray(v)) {
    const max = S.num(s, "maxItems")
    const min = S.num(s, "minItems")
    if (max !== undefined && v.length > max) errs.push(FieldError.tooMany(path, v.length, max))
    if (min !== undefined && v.length < min) errs.push(FieldError.invalid(path, v.length, `${name} in body should have at least ${min} items`))
    const lt = S.listType(s)
    if (lt === "set") {
      v.forEach((x, i) => {
        if (v.slice(0, i).some((y) => deepEqual(x, y))) errs.push(FieldError.duplicate(S.index(path, i), x))
      })
    } else if (lt === "map") {
      const keys = S.listMapKeys(s)
      const keyOf = (x: Json): Json => {
        const o: MutableJsonObject = {}
        if (isObject(x)) for (const k of keys) if (S.hasOwn(x, k)) set(o, k, x[k] ?? null)
        return o
      }
      v.forEach((x, i) => {
        const k = keyOf(x)
        if (v.slice(0, i).some((y) => deepEqual(keyOf(y), k))) errs.push(FieldError.duplicate(S.index(path, i), k))
      })
    }
    const is = S.items(s)
    if (is !== undefined) v.forEach((x, i) => validateNode(is, x, S.index(path, i), false, errs))
  }
  if (isObject(v)) {
    const n = Object.keys(v).length
    const maxP = S.num(s, "maxProperties")
    const minP = S.num(s, "minProperties")
    // like kube-openapi, a property-count failure ends the object's validation
    if (minP !== undefined && n < minP) {
      errs.push(FieldError.invalid(path, n, `${name} in body should have at least ${minP} properties`))
      return
    }
    if (maxP !== undefined && n > maxP) {
      errs.push(FieldError.tooMany(path, n, maxP))
      return
    }
    // sorted, so the error order is stable (Go walks maps in random order)
    for (const [k, x] of Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      // object metadata is validated as ObjectMeta, except name constraints a CRD may add
      if ((root || S.embedded(s)) && k === "metadata") {
        const ms = S.property(s, "metadata")
        if (ms !== undefined && isObject(x)) {
          for (const f of ["name", "generateName"]) {
            const fs = S.property(ms, f)
            if (fs !== undefined && S.hasOwn(x, f)) validateNode(fs, x[f] ?? null, S.child(S.child(path, "metadata"), f), false, errs)
          }
        }
        continue
      }
      const cs = S.childSchema(s, k)
      if (cs !== undefined && cs !== true) validateNode(cs, x, S.child(path, k), false, errs)
    }
    const req = s["required"]
    if (isArray(req)) {
      for (const k of req) if (typeof k === "string" && !S.hasOwn(v, k)) errs.push(FieldError.required(S.child(path, k)))
    }
  }
}

/**
 * allOf/anyOf/oneOf/not: in structural schemas they hold value validations
 * only (no types or properties of their own); a failure is reported on the
 * node in kube-openapi's words.
 */
const validateJunctors = (s: Schema, v: Json, path: string, errs: Array<FieldError.FieldError>): void => {
  const subs = (k: string): ReadonlyArray<Schema> => {
    const x = s[k]
    return isArray(x) ? x.filter(isObject) : []
  }
  const errorsOf = (sub: Schema): Array<FieldError.FieldError> => {
    const e: Array<FieldError.FieldError> = []
    validateNode(sub, v, path, false, e)
    return e
  }
  const field = path === "" ? FieldError.rootPath : path
  for (const sub of subs("allOf")) errs.push(...errorsOf(sub))
  const anyOf = subs("anyOf")
  if (anyOf.length > 0 && !anyOf.some((sub) => errorsOf(sub).length === 0)) {
    errs.push(FieldError.invalid(field, v, `${JSON.stringify(path)} must validate at least one schema (anyOf)`))
  }
  const oneOf = subs("oneOf")
  if (oneOf.length > 0 && oneOf.filter((sub) => errorsOf(sub).length === 0).length !== 1) {
    errs.push(FieldError.invalid(field, v, `${JSON.stringify(path)} must validate one and only one schema (oneOf)`))
  }
  const not = s["not"]
  if (isObject(not) && errorsOf(not).length === 0) {
    errs.push(FieldError.invalid(field, v, `${JSON.stringify(path)} must not validate the schema (not)`))
  }
}

/** Schema validation of a whole custom resource; field errors in kube's wording. */
export const validate = (schema: Schema, obj: Json): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  validateNode(schema, obj, "", true, errs)
  return errs
}
