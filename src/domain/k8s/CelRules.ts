/**
 * The subset of CEL that rdd's CRDs use in `x-kubernetes-validations`:
 * `self`/`oldSelf` with field access, literals (strings, numbers, booleans,
 * null, lists), `== != < <= > >=`, `in`, `! && ||`, `has(self.x)`,
 * `size(x)`/`x.size()`, `x.matches('re')`, `x.startsWith/endsWith/contains('s')`.
 * `compile` rejects anything else, so a CRD using an unsupported rule is refused
 * at creation instead of silently not enforced. Evaluation follows CEL: a
 * missing field is an evaluation error ("no such key"), `has` tests presence.
 */
import { Either } from "effect"
import { deepEqual, isArray, isObject, type Json } from "./Json.js"

export type Expr =
  | { readonly t: "lit"; readonly v: Json }
  | { readonly t: "list"; readonly items: ReadonlyArray<Expr> }
  | { readonly t: "var"; readonly name: "self" | "oldSelf" }
  | { readonly t: "field"; readonly of: Expr; readonly name: string }
  | { readonly t: "has"; readonly of: Expr; readonly name: string }
  | { readonly t: "call"; readonly fn: "size" | "matches" | "startsWith" | "endsWith" | "contains"; readonly args: ReadonlyArray<Expr> }
  | { readonly t: "not"; readonly e: Expr }
  | { readonly t: "bin"; readonly op: "==" | "!=" | "<" | "<=" | ">" | ">=" | "&&" | "||" | "in"; readonly l: Expr; readonly r: Expr }

// ---- lexer ----------------------------------------------------------------------------------

type Tok = { readonly k: "id" | "str" | "num" | "op" | "eof"; readonly v: string }

const lex = (src: string): Either.Either<ReadonlyArray<Tok>, string> => {
  const out: Array<Tok> = []
  let i = 0
  while (i < src.length) {
    const c = src[i] ?? ""
    if (/\s/.test(c)) {
      i++
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1
      while (j < src.length && /[A-Za-z0-9_]/.test(src[j] ?? "")) j++
      out.push({ k: "id", v: src.slice(i, j) })
      i = j
    } else if (/[0-9]/.test(c)) {
      let j = i + 1
      while (j < src.length && /[0-9.]/.test(src[j] ?? "")) j++
      out.push({ k: "num", v: src.slice(i, j) })
      i = j
    } else if (c === "'" || c === '"') {
      let j = i + 1
      let s = ""
      while (j < src.length && src[j] !== c) {
        if (src[j] === "\\") {
          const n = src[j + 1] ?? ""
          s += n === "n" ? "\n" : n === "t" ? "\t" : n
          j += 2
        } else {
          s += src[j]
          j++
        }
      }
      if (j >= src.length) return Either.left("unterminated string literal")
      out.push({ k: "str", v: s })
      i = j + 1
    } else {
      const two = src.slice(i, i + 2)
      if (["==", "!=", "<=", ">=", "&&", "||"].includes(two)) {
        out.push({ k: "op", v: two })
        i += 2
      } else if ("<>!().,[]-".includes(c)) {
        out.push({ k: "op", v: c })
        i++
      } else {
        return Either.left(`unexpected character ${JSON.stringify(c)}`)
      }
    }
  }
  out.push({ k: "eof", v: "" })
  return Either.right(out)
}

// ---- parser ----------------------------------------------------------------------------------

class ParseError {
  constructor(readonly message: string) {}
}

/** Parses a rule; Left explains why rdd cannot enforce it. */
export const compile = (rule: string): Either.Either<Expr, string> =>
  Either.flatMap(lex(rule), (toks) => {
    let p = 0
    const peek = (): Tok => toks[p] ?? { k: "eof", v: "" }
    const next = (): Tok => toks[p++] ?? { k: "eof", v: "" }
    const isOp = (v: string): boolean => peek().k === "op" && peek().v === v
    const expect = (v: string): void => {
      const t = next()
      if (t.v !== v) throw new ParseError(`expected '${v}', found '${t.v || "end of rule"}'`)
    }

    const orExpr = (): Expr => {
      let l = andExpr()
      while (isOp("||")) {
        next()
        l = { t: "bin", op: "||", l, r: andExpr() }
      }
      return l
    }
    const andExpr = (): Expr => {
      let l = relExpr()
      while (isOp("&&")) {
        next()
        l = { t: "bin", op: "&&", l, r: relExpr() }
      }
      return l
    }
    const relExpr = (): Expr => {
      const l = unary()
      const t = peek()
      if ((t.k === "op" && ["==", "!=", "<", "<=", ">", ">="].includes(t.v)) || (t.k === "id" && t.v === "in")) {
        next()
        return { t: "bin", op: t.v as "==", l, r: unary() }
      }
      return l
    }
    const unary = (): Expr => {
      if (isOp("!")) {
        next()
        return { t: "not", e: unary() }
      }
      if (isOp("-")) {
        next()
        const n = next()
        if (n.k !== "num") throw new ParseError("expected a number after '-'")
        return { t: "lit", v: -Number(n.v) }
      }
      return member()
    }
    const member = (): Expr => {
      let e = primary()
      while (isOp(".")) {
        next()
        const name = next()
        if (name.k !== "id") throw new ParseError(`expected a field name after '.', found '${name.v}'`)
        if (isOp("(")) {
          if (!["size", "matches", "startsWith", "endsWith", "contains"].includes(name.v)) {
            throw new ParseError(`function ${name.v}() is not supported by rdd`)
          }
          next()
          const args: Array<Expr> = []
          if (!isOp(")")) {
            args.push(orExpr())
            while (isOp(",")) {
              next()
              args.push(orExpr())
            }
          }
          expect(")")
          if (name.v === "size" && args.length === 0) e = { t: "call", fn: "size", args: [e] }
          else if (["matches", "startsWith", "endsWith", "contains"].includes(name.v) && args.length === 1) {
            if (name.v === "matches" && args[0]?.t === "lit" && typeof args[0].v === "string") {
              try {
                new RegExp(args[0].v, "u")
              } catch {
                throw new ParseError(`invalid regular expression ${JSON.stringify(args[0].v)}`)
              }
            }
            e = { t: "call", fn: name.v as "matches", args: [e, ...args] }
          } else throw new ParseError(`function ${name.v}() is not supported by rdd`)
        } else {
          e = { t: "field", of: e, name: name.v }
        }
      }
      return e
    }
    const primary = (): Expr => {
      const t = next()
      if (t.k === "str") return { t: "lit", v: t.v }
      if (t.k === "num") return { t: "lit", v: Number(t.v) }
      if (t.k === "op" && t.v === "(") {
        const e = orExpr()
        expect(")")
        return e
      }
      if (t.k === "op" && t.v === "[") {
        const items: Array<Expr> = []
        if (!isOp("]")) {
          items.push(orExpr())
          while (isOp(",")) {
            next()
            items.push(orExpr())
          }
        }
        expect("]")
        return { t: "list", items }
      }
      if (t.k === "id") {
        switch (t.v) {
          case "true":
            return { t: "lit", v: true }
          case "false":
            return { t: "lit", v: false }
          case "null":
            return { t: "lit", v: null }
          case "self":
          case "oldSelf":
            return { t: "var", name: t.v }
          case "has": {
            expect("(")
            const arg = member()
            expect(")")
            if (arg.t !== "field") throw new ParseError("has() needs a field selection, e.g. has(self.x)")
            return { t: "has", of: arg.of, name: arg.name }
          }
          case "size": {
            expect("(")
            const arg = orExpr()
            expect(")")
            return { t: "call", fn: "size", args: [arg] }
          }
        }
        throw new ParseError(`undeclared reference to '${t.v}'`)
      }
      throw new ParseError(`unexpected '${t.v || "end of rule"}'`)
    }

    try {
      const e = orExpr()
      if (peek().k !== "eof") throw new ParseError(`unexpected '${peek().v}'`)
      return Either.right(e)
    } catch (err) {
      if (err instanceof ParseError) return Either.left(err.message)
      throw err
    }
  })

/** Whether a rule reads `oldSelf` (a transition rule: only checked on update when the old value exists). */
export const usesOldSelf = (e: Expr): boolean => {
  switch (e.t) {
    case "var":
      return e.name === "oldSelf"
    case "lit":
      return false
    case "list":
      return e.items.some(usesOldSelf)
    case "field":
    case "has":
      return usesOldSelf(e.of)
    case "call":
      return e.args.some(usesOldSelf)
    case "not":
      return usesOldSelf(e.e)
    case "bin":
      return usesOldSelf(e.l) || usesOldSelf(e.r)
  }
}

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
