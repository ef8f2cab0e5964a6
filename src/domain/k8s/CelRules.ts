/**
 * Evaluation of the CEL subset that rdd's CRDs use in `x-kubernetes-validations`
 * (syntax and `compile` in CelSyntax.ts): `self`/`oldSelf` with field access,
 * literals, `== != < <= > >=`, `in`, `! && ||`, `has(self.x)`, `size(x)`,
 * `x.matches('re')`, `startsWith/endsWith/contains`. As in CEL, a missing field
 * is an evaluation error ("no such key") and `has` tests presence.
 */
import * as Either from "effect/Either"
import type { Expr } from "./CelSyntax.js"
import { deepEqual, isArray, isObject, type Json } from "./Json.js"

export { compile, type Expr, usesOldSelf } from "./CelSyntax.js"

// ---- evaluation ------------------------------------------------------------------------------

class EvalError {
  constructor(readonly message: string) {}
}

const typeOf = (v: Json): string => (v === null ? "null_type" : isArray(v) ? "list" : isObject(v) ? "map" : typeof v === "number" ? (Number.isInteger(v) ? "int" : "double") : typeof v === "boolean" ? "bool" : "string")

const evalExpr = (e: Expr, env: { self: Json; oldSelf: Json | undefined }): Json => {
  switch (e.t) {
    case "lit":
      return e.v
    case "list":
      return e.items.map((x) => evalExpr(x, env))
    case "var":
      if (e.name === "self") return env.self
      if (env.oldSelf === undefined) throw new EvalError("oldSelf is not available")
      return env.oldSelf
    case "field": {
      const o = evalExpr(e.of, env)
      if (!isObject(o) || !Object.prototype.hasOwnProperty.call(o, e.name)) throw new EvalError(`no such key: ${e.name}`)
      return o[e.name] ?? null
    }
    case "has": {
      const o = evalExpr(e.of, env)
      return isObject(o) && Object.prototype.hasOwnProperty.call(o, e.name)
    }
    case "not": {
      const v = evalExpr(e.e, env)
      if (typeof v !== "boolean") throw new EvalError(`no such overload: !${typeOf(v)}`)
      return !v
    }
    case "call": {
      const [a, b] = e.args.map((x) => evalExpr(x, env))
      if (e.fn === "size") {
        if (typeof a === "string") return [...a].length
        if (isArray(a)) return a.length
        if (isObject(a)) return Object.keys(a).length
        throw new EvalError(`no such overload: size(${typeOf(a ?? null)})`)
      }
      if (typeof a !== "string" || typeof b !== "string") throw new EvalError(`no such overload: ${e.fn}`)
      switch (e.fn) {
        case "matches":
          try {
            return new RegExp(b, "u").test(a)
          } catch {
            throw new EvalError(`invalid regular expression ${JSON.stringify(b)}`)
          }
        case "startsWith":
          return a.startsWith(b)
        case "endsWith":
          return a.endsWith(b)
        case "contains":
          return a.includes(b)
      }
      return false
    }
    case "bin": {
      if (e.op === "&&" || e.op === "||") {
        // CEL's commutative logic: an error on one side is absorbed if the other decides
        let l: Json | EvalError
        try {
          l = evalExpr(e.l, env)
        } catch (err) {
          if (!(err instanceof EvalError)) throw err
          l = err
        }
        if (l === (e.op === "||")) return l
        const r = evalExpr(e.r, env)
        if (r === (e.op === "||")) return r
        if (l instanceof EvalError) throw l
        return e.op === "&&" ? l === true && r === true : l === true || r === true
      }
      const l = evalExpr(e.l, env)
      const r = evalExpr(e.r, env)
      switch (e.op) {
        case "==":
          return deepEqual(l, r)
        case "!=":
          return !deepEqual(l, r)
        case "in":
          if (isArray(r)) return r.some((x) => deepEqual(x, l))
          if (isObject(r) && typeof l === "string") return Object.prototype.hasOwnProperty.call(r, l)
          throw new EvalError(`no such overload: ${typeOf(l)} in ${typeOf(r)}`)
        default: {
          if (!((typeof l === "number" && typeof r === "number") || (typeof l === "string" && typeof r === "string"))) {
            throw new EvalError(`no such overload: ${typeOf(l)} ${e.op} ${typeOf(r)}`)
          }
          return e.op === "<" ? l < r : e.op === "<=" ? l <= r : e.op === ">" ? l > r : l >= r
        }
      }
    }
  }
}

/** Evaluates a compiled rule: Right(true/false), or Left with CEL's error text. */
export const evaluate = (e: Expr, self: Json, oldSelf?: Json): Either.Either<boolean, string> => {
  try {
    const v = evalExpr(e, { self, oldSelf })
    return typeof v === "boolean" ? Either.right(v) : Either.left(`rule did not evaluate to a bool: ${JSON.stringify(v)}`)
  } catch (err) {
    if (err instanceof EvalError) return Either.left(err.message)
    throw err
  }
}
