/**
 * Label selectors (k8s.io/apimachinery/pkg/labels): the `labelSelector` query
 * grammar (`a=b`, `a==b`, `a!=b`, `a in (x,y)`, `a notin (x)`, `a`, `!a`,
 * `a>1`, `a<1`, comma-separated, all ANDed), matching against an object's
 * labels, printing in Go's canonical form, and conversion from the structured
 * metav1.LabelSelector (matchLabels/matchExpressions) that controllers use.
 * Parse errors are Go's parser messages without the "unable to parse
 * requirement: " prefix, which callers add.
 */
import * as Either from "effect/Either"
import * as FieldError from "./FieldError.js"
import { isArray, isObject, type Json } from "./Json.js"
import * as Names from "./Names.js"

export type Operator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt"

export interface Requirement {
  readonly key: string
  readonly operator: Operator
  /** sorted and de-duplicated, like Go's string sets */
  readonly values: ReadonlyArray<string>
}

/** A conjunction of requirements, sorted by key; empty selects everything. */
export type Selector = ReadonlyArray<Requirement>

export const everything: Selector = []

// ---- lexer -------------------------------------------------------------------

type Tok =
  | "ident" | "in" | "notin" | "=" | "==" | "!=" | "!" | "(" | ")" | "," | ">" | "<" | "eos" | "error"

interface Token {
  readonly tok: Tok
  readonly lit: string
}

const isWhitespace = (c: string): boolean => c === " " || c === "\t" || c === "\r" || c === "\n"
const isSpecial = (c: string): boolean => "=!(),<>".includes(c)

const lex = (input: string): ReadonlyArray<Token> => {
  const out: Array<Token> = []
  let i = 0
  while (i < input.length) {
    const c = input[i] ?? ""
    if (isWhitespace(c)) {
      i++
      continue
    }
    if (isSpecial(c)) {
      const two = input.slice(i, i + 2)
      if (two === "==" || two === "!=") {
        out.push({ tok: two, lit: two })
        i += 2
      } else {
        out.push({ tok: c as Tok, lit: c })
        i++
      }
      continue
    }
    let j = i
    while (j < input.length && !isWhitespace(input[j] ?? "") && !isSpecial(input[j] ?? "")) j++
    const lit = input.slice(i, j)
    out.push({ tok: lit === "in" ? "in" : lit === "notin" ? "notin" : "ident", lit })
    i = j
  }
  out.push({ tok: "eos", lit: "" })
  return out
}

// ---- validation (NewRequirement) -------------------------------------------------

const validateKey = (key: string): string | undefined => {
  const errs = Names.isQualifiedName(key)
  return errs.length === 0 ? undefined : `<nil>: ${FieldError.errorBody(FieldError.invalid("", key, errs.join("; ")))}`
}

const validateValue = (v: string): string | undefined => {
  const errs = Names.isValidLabelValue(v)
  return errs.length === 0 ? undefined : `<nil>: ${FieldError.errorBody(FieldError.invalid("", v, errs.join("; ")))}`
}

/** Builds one requirement with Go's checks (key syntax, value syntax, value counts). */
export const requirement = (
  key: string,
  operator: Operator,
  values: ReadonlyArray<string>
): Either.Either<Requirement, string> => {
  const keyErr = validateKey(key)
  if (keyErr !== undefined) return Either.left(keyErr)
  const set = [...new Set(values)].sort()
  switch (operator) {
    case "in":
    case "notin":
      if (set.length === 0) return Either.left("for 'in', 'notin' operators, values set can't be empty")
      break
    case "=":
    case "==":
    case "!=":
      if (set.length !== 1) return Either.left("exact-match compatibility requires one single value")
      break
    case "exists":
    case "!":
      if (set.length !== 0) return Either.left("values set must be empty for exists and does not exist")
      break
    case "gt":
    case "lt":
      if (set.length !== 1) return Either.left("for 'Gt', 'Lt' operators, exactly one value is required")
      if (!/^-?\d+$/.test(set[0] ?? "")) return Either.left("for 'Gt', 'Lt' operators, the value must be an integer")
      return Either.right({ key, operator, values: set })
  }
  for (const v of set) {
    const e = validateValue(v)
    if (e !== undefined) return Either.left(e)
  }
  return Either.right({ key, operator, values: set })
}

// ---- parser -------------------------------------------------------------------

const binaryOperators = "in, notin, =, ==, !=, gt, lt"

/** Parses a `labelSelector` query value. The empty string selects everything. */
export const parse = (input: string): Either.Either<Selector, string> => {
  const toks = lex(input)
  let pos = 0
  const peek = (): Token => toks[pos] ?? { tok: "eos", lit: "" }
  const next = (): Token => toks[pos++] ?? { tok: "eos", lit: "" }
  const reqs: Array<Requirement> = []

  const parseValues = (): Either.Either<ReadonlyArray<string>, string> => {
    const open = next()
    if (open.tok !== "(") return Either.left(`found '${open.lit}' expected: '('`)
    const vals: Array<string> = []
    if (peek().tok === ")") {
      next()
      return Either.right(vals)
    }
    for (;;) {
      const t = next()
      if (t.tok === "ident" || t.tok === "in" || t.tok === "notin") {
        vals.push(t.lit)
        const sep = next()
        if (sep.tok === ")") return Either.right(vals)
        if (sep.tok !== ",") return Either.left(`found '${sep.lit}', expected: ',' or ')'`)
      } else if (t.tok === ",") {
        // an empty value between commas, as Go allows: `(a,,b)` and `(a,)`
        vals.push("")
        if (peek().tok === ")") {
          next()
          vals.push("")
          return Either.right(vals)
        }
      } else {
        return Either.left(`found '${t.lit}', expected: ',', or identifier`)
      }
    }
  }

  const parseRequirement = (): Either.Either<Requirement, string> => {
    let t = next()
    let negated = false
    if (t.tok === "!") {
      negated = true
      t = next()
    }
    if (t.tok !== "ident") return Either.left(`found '${t.lit}', expected: identifier`)
    const key = t.lit
    const keyErr = validateKey(key)
    if (keyErr !== undefined) return Either.left(keyErr)
    const la = peek().tok
    if (la === "eos" || la === ",") return requirement(key, negated ? "!" : "exists", [])
    if (negated) return Either.left(`found '${peek().lit}', expected: ',' or 'end of string'`)
    const op = next()
    switch (op.tok) {
      case "in":
      case "notin":
        return Either.flatMap(parseValues(), (vals) => requirement(key, op.tok as Operator, vals))
      case "=":
      case "==":
      case "!=":
      case ">":
      case "<": {
        const operator: Operator = op.tok === ">" ? "gt" : op.tok === "<" ? "lt" : op.tok
        const v = peek()
        if (v.tok === "eos" || v.tok === ",") return requirement(key, operator, [""])
        next()
        if (v.tok !== "ident" && v.tok !== "in" && v.tok !== "notin") return Either.left(`found '${v.lit}', expected: identifier`)
        return requirement(key, operator, [v.lit])
      }
      default:
        return Either.left(`found '${op.lit}', expected: ${binaryOperators}`)
    }
  }

  for (;;) {
    const t = peek()
    if (t.tok === "eos") break
    if (t.tok !== "ident" && t.tok !== "!") return Either.left(`found '${t.lit}', expected: !, identifier, or 'end of string'`)
    const r = parseRequirement()
    if (Either.isLeft(r)) return Either.left(r.left)
    reqs.push(r.right)
    const sep = next()
    if (sep.tok === "eos") break
    if (sep.tok !== ",") return Either.left(`found '${sep.lit}', expected: ',' or 'end of string'`)
    const after = peek()
    if (after.tok !== "ident" && after.tok !== "!") return Either.left(`found '${after.lit}', expected: identifier after ','`)
  }
  return Either.right(sortByKey(reqs))
}

const sortByKey = (reqs: ReadonlyArray<Requirement>): Selector =>
  [...reqs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))

// ---- matching and printing ---------------------------------------------------------

const hasKey = (labels: Readonly<Record<string, string>>, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(labels, key)

export const matchesRequirement = (r: Requirement, labels: Readonly<Record<string, string>>): boolean => {
  const present = hasKey(labels, r.key)
  const value = present ? labels[r.key] : undefined
  switch (r.operator) {
    case "=":
    case "==":
    case "in":
      return present && r.values.includes(value ?? "")
    case "!=":
    case "notin":
      return !present || !r.values.includes(value ?? "")
    case "exists":
      return present
    case "!":
      return !present
    case "gt":
    case "lt": {
      if (!present || !/^-?\d+$/.test(value ?? "")) return false
      const have = BigInt(value ?? "0")
      const want = BigInt(r.values[0] ?? "0")
      return r.operator === "gt" ? have > want : have < want
    }
  }
}

export const matches = (selector: Selector, labels: Readonly<Record<string, string>>): boolean =>
  selector.every((r) => matchesRequirement(r, labels))

export const requirementToString = (r: Requirement): string => {
  switch (r.operator) {
    case "exists":
      return r.key
    case "!":
      return `!${r.key}`
    case "=":
    case "==":
    case "!=":
      return `${r.key}${r.operator}${r.values[0] ?? ""}`
    case "gt":
      return `${r.key}>${r.values[0] ?? ""}`
    case "lt":
      return `${r.key}<${r.values[0] ?? ""}`
    case "in":
    case "notin":
      return `${r.key} ${r.operator} (${r.values.join(",")})`
  }
}

/** Go's canonical `Selector.String()`; parsing it gives the same selector back. */
export const toString = (selector: Selector): string => selector.map(requirementToString).join(",")

/** The equality requirements of a `matchLabels` map (an easy way to build selectors in code). */
export const fromMap = (labels: Readonly<Record<string, string>>): Selector =>
  sortByKey(Object.keys(labels).map((k) => ({ key: k, operator: "=", values: [labels[k] ?? ""] })))

/**
 * A metav1.LabelSelector object (`matchLabels`, `matchExpressions` with In,
 * NotIn, Exists, DoesNotExist). `null`/absent selects everything, like Go's
 * `LabelSelectorAsSelector` (an empty object also selects everything).
 */
export const fromLabelSelector = (obj: Json | undefined): Either.Either<Selector, string> => {
  if (obj === undefined || obj === null) return Either.right(everything)
  if (!isObject(obj)) return Either.left("label selector must be an object")
  const reqs: Array<Requirement> = []
  const ml = obj["matchLabels"]
  if (isObject(ml)) {
    for (const k of Object.keys(ml)) {
      const r = requirement(k, "=", [String(ml[k])])
      if (Either.isLeft(r)) return Either.left(r.left)
      reqs.push(r.right)
    }
  }
  const me = obj["matchExpressions"]
  if (isArray(me)) {
    for (const e of me) {
      if (!isObject(e)) return Either.left("matchExpressions entries must be objects")
      const values = isArray(e["values"]) ? e["values"].map(String) : []
      const op = e["operator"]
      const operator: Operator | undefined =
        op === "In" ? "in" : op === "NotIn" ? "notin" : op === "Exists" ? "exists" : op === "DoesNotExist" ? "!" : undefined
      if (operator === undefined) return Either.left(`${FieldError.goQuote(String(op))} is not a valid label selector operator`)
      const r = requirement(String(e["key"] ?? ""), operator, values)
      if (Either.isLeft(r)) return Either.left(r.left)
      reqs.push(r.right)
    }
  }
  return Either.right(sortByKey(reqs))
}
