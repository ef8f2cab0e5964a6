/**
 * `x-kubernetes-validations` of CRD schemas: `checkSchema` refuses, at CRD
 * creation, rules rdd cannot enforce (and non-structural nodes), and
 * `evaluateRules` runs the rules on a write, with `oldSelf` bound on update
 * where the old value exists (transition rules such as `self == oldSelf` are
 * skipped otherwise). Failures read like kube's:
 * `spec.templateRef: Invalid value: "object": templateRef is immutable`.
 */
import * as Either from "effect/Either"
import * as Cel from "./CelRules.js"
import * as FieldError from "./FieldError.js"
import { deepEqual, isArray, isObject, type Json } from "./Json.js"
import * as S from "./SchemaWalk.js"

interface Rule {
  readonly rule: string
  readonly message?: string
  readonly reason?: string
  readonly fieldPath?: string
  readonly messageExpression?: string
}

const rulesOf = (s: S.Schema): ReadonlyArray<Rule> => {
  const v = s["x-kubernetes-validations"]
  if (!isArray(v)) return []
  return v.filter(isObject).map((r) => ({
    rule: typeof r["rule"] === "string" ? r["rule"] : "",
    ...(typeof r["message"] === "string" ? { message: r["message"] } : {}),
    ...(typeof r["reason"] === "string" ? { reason: r["reason"] } : {}),
    ...(typeof r["fieldPath"] === "string" ? { fieldPath: r["fieldPath"] } : {}),
    ...(typeof r["messageExpression"] === "string" ? { messageExpression: r["messageExpression"] } : {})
  }))
}

const supportedReasons = ["FieldValueInvalid", "FieldValueForbidden", "FieldValueRequired", "FieldValueDuplicate"]

/**
 * Checks a CRD's openAPIV3Schema before it is accepted: every node names a
 * type (unless int-or-string or preserve-unknown-fields), and every rule
 * compiles in rdd's CEL subset. `path` is where the schema sits in the CRD,
 * e.g. `spec.versions[0].schema.openAPIV3Schema`.
 */
export const checkSchema = (schema: S.Schema, path: string): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  const go = (s: S.Schema, p: string, isRoot: boolean): void => {
    if (S.typeOf(s) === undefined && !S.intOrString(s) && !S.preservesUnknown(s) && !isRoot) {
      errs.push(FieldError.required(`${p}.type`, "must not be empty for specified object fields"))
    }
    if (S.typeOf(s) === undefined && isRoot) errs.push(FieldError.required(`${p}.type`, "must not be empty at the root"))
    if (S.properties(s) !== undefined && S.additional(s) !== undefined) {
      errs.push(FieldError.forbidden(`${p}.additionalProperties`, "additionalProperties and properties are mutual exclusive"))
    }
    if (typeof s["pattern"] === "string") {
      try {
        new RegExp(s["pattern"], "u")
      } catch (e) {
        errs.push(FieldError.invalid(`${p}.pattern`, s["pattern"], `must be a valid regular expression, but isn't: ${e instanceof Error ? e.message : String(e)}`))
      }
    }
    rulesOf(s).forEach((r, i) => {
      const rp = `${p}.x-kubernetes-validations[${i}]`
      if (r.rule.trim() === "") {
        errs.push(FieldError.required(`${rp}.rule`))
        return
      }
      const c = Cel.compile(r.rule)
      if (Either.isLeft(c)) {
        errs.push(FieldError.invalid(`${rp}.rule`, r.rule, `compilation failed: ${c.left} (rdd supports self/oldSelf field access, literals, == != < <= > >=, in, ! && ||, has(), size(), matches(), startsWith(), endsWith(), contains())`))
      }
      if (r.messageExpression !== undefined) {
        errs.push(FieldError.invalid(`${rp}.messageExpression`, r.messageExpression, "messageExpression is not supported by rdd; use message"))
      }
      if (r.reason !== undefined && !supportedReasons.includes(r.reason)) {
        errs.push(FieldError.notSupported(`${rp}.reason`, r.reason, supportedReasons))
      }
    })
    const props = S.properties(s)
    if (props !== undefined) {
      for (const k of Object.keys(props)) {
        const c = S.property(s, k)
        if (c !== undefined) go(c, `${p}.properties[${k}]`, false)
      }
    }
    const a = S.additional(s)
    if (a !== undefined && a !== true) go(a, `${p}.additionalProperties`, false)
    const it = S.items(s)
    if (it !== undefined) go(it, `${p}.items`, false)
  }
  go(schema, path, true)
  return errs
}

const ruleError = (path: string, s: S.Schema, r: Rule, detail: string): FieldError.FieldError => {
  const base = path === "" ? FieldError.rootPath : path
  const field = r.fieldPath === undefined || r.fieldPath === "" ? base : `${path}${r.fieldPath.startsWith(".") || r.fieldPath.startsWith("[") ? "" : "."}${r.fieldPath}`.replace(/^\./, "")
  const value: Json = S.typeOf(s) ?? ""
  switch (r.reason) {
    case "FieldValueForbidden":
      return FieldError.forbidden(field, detail)
    case "FieldValueRequired":
      return FieldError.required(field, detail)
    case "FieldValueDuplicate":
      return FieldError.duplicate(field, value)
    default:
      return FieldError.invalid(field, value, detail)
  }
}

/** The old list item that corresponds to `item` in a list-type map (by its keys). */
const correlate = (s: S.Schema, item: Json, old: ReadonlyArray<Json>): Json | undefined => {
  // like kube, only list-type=map items correlate with their old selves
  if (S.listType(s) === "map" && isObject(item)) {
    const keys = S.listMapKeys(s)
    return old.find((o) => isObject(o) && keys.every((k) => deepEqual(o[k] ?? null, item[k] ?? null)))
  }
  return undefined
}

/**
 * Evaluates every rule on `obj` (with `oldObj` on update). Returns field
 * errors; an empty list means the write may proceed.
 */
export const evaluateRules = (schema: S.Schema, obj: Json, oldObj?: Json): ReadonlyArray<FieldError.FieldError> => {
  const errs: Array<FieldError.FieldError> = []
  const go = (s: S.Schema, v: Json, old: Json | undefined, path: string): void => {
    if (v === null) return
    for (const r of rulesOf(s)) {
      const c = Cel.compile(r.rule)
      if (Either.isLeft(c)) {
        errs.push(FieldError.internal(path === "" ? FieldError.rootPath : path, `rule ${JSON.stringify(r.rule)} cannot be evaluated: ${c.left}`))
        continue
      }
      if (Cel.usesOldSelf(c.right) && old === undefined) continue
      const res = Cel.evaluate(c.right, v, old)
      if (Either.isLeft(res)) {
        const what = r.message?.trim() || r.rule.trim()
        errs.push(ruleError(path, s, { ...r, reason: "FieldValueInvalid" }, `${res.left} evaluating rule: ${what}`))
      } else if (!res.right) {
        const message = r.message?.trim() ?? ""
        errs.push(ruleError(path, s, r, message !== "" ? message : `failed rule: ${r.rule.trim()}`))
      }
    }
    if (isObject(v)) {
      for (const [k, x] of Object.entries(v)) {
        const prop = S.property(s, k)
        const cs = prop ?? S.additional(s)
        if (cs === undefined || cs === true) continue
        const ov = isObject(old) && S.hasOwn(old, k) ? old[k] : undefined
        // map values are addressed as `path[key]`, struct fields as `path.key`
        go(cs, x, ov, prop !== undefined ? S.child(path, k) : `${path}[${k}]`)
      }
    } else if (isArray(v)) {
      const is = S.items(s)
      if (is !== undefined) v.forEach((x, i) => go(is, x, isArray(old) ? correlate(s, x, old) : undefined, S.index(path, i)))
    }
  }
  go(schema, obj, oldObj, "")
  return errs
}
