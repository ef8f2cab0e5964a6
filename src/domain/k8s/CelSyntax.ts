/**
 * Syntax of the CEL subset rdd enforces in `x-kubernetes-validations` (see
 * CelRules.ts for evaluation):
 * `self`/`oldSelf` with field access, literals (strings, numbers, booleans,
 * null, lists), `== != < <= > >=`, `in`, `! && ||`, `has(self.x)`,
 * `size(x)`/`x.size()`, `x.matches('re')`, `x.startsWith/endsWith/contains('s')`.
 * `compile` rejects anything else, so a CRD using an unsupported rule is refused
 * at creation instead of silently not enforced. Evaluation follows CEL: a
 * missing field is an evaluation error ("no such key"), `has` tests presence.
 */
import * as Either from "effect/Either"
import type { Json } from "./Json.js"

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

