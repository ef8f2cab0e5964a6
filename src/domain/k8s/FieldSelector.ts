/**
 * Field selectors (k8s.io/apimachinery/pkg/fields): `key=value`, `key==value`,
 * `key!=value`, comma-separated and ANDed, with `\,` `\=` `\\` escapes in
 * values. Matching takes a lookup from a field path (`metadata.name`,
 * `involvedObject.uid`, ...) to its string value, so each resource decides which
 * fields it exposes; `undefined` (an absent field) compares as "".
 */
import * as Either from "effect/Either"

export interface Term {
  readonly field: string
  readonly operator: "=" | "!="
  readonly value: string
}

/** Terms in sorted order, ANDed; empty selects everything. */
export type Selector = ReadonlyArray<Term>

export const everything: Selector = []

/** Splits on commas that are not escaped. */
const splitTerms = (s: string): ReadonlyArray<string> => {
  const terms: Array<string> = []
  let cur = ""
  let escaped = false
  for (const c of s) {
    if (escaped) {
      cur += c
      escaped = false
    } else if (c === "\\") {
      cur += c
      escaped = true
    } else if (c === ",") {
      terms.push(cur)
      cur = ""
    } else {
      cur += c
    }
  }
  terms.push(cur)
  return terms
}

/** Finds the first operator (`!=`, `==`, `=`) outside an escape. */
const splitTerm = (term: string): { lhs: string; op: string; rhs: string } | undefined => {
  let escaped = false
  for (let i = 0; i < term.length; i++) {
    const c = term[i]
    if (escaped) {
      escaped = false
      continue
    }
    if (c === "\\") {
      escaped = true
      continue
    }
    for (const op of ["!=", "==", "="]) {
      if (term.startsWith(op, i)) return { lhs: term.slice(0, i), op, rhs: term.slice(i + op.length) }
    }
  }
  return undefined
}

const unescapeValue = (s: string): Either.Either<string, string> => {
  let out = ""
  let escaped = false
  for (const c of s) {
    if (escaped) {
      if (c !== "\\" && c !== "," && c !== "=") return Either.left(`invalid escape sequence: \\${c}`)
      out += c
      escaped = false
    } else if (c === "\\") {
      escaped = true
    } else if (c === "," || c === "=") {
      return Either.left(`unescaped character '${c}'`)
    } else {
      out += c
    }
  }
  if (escaped) return Either.left("invalid escape sequence: \\")
  return Either.right(out)
}

export const escapeValue = (s: string): string => s.replace(/[\\,=]/g, (c) => `\\${c}`)

/** Parses a `fieldSelector` query value; the error text follows Go's. */
export const parse = (input: string): Either.Either<Selector, string> => {
  const parts = [...splitTerms(input)].sort()
  const terms: Array<Term> = []
  for (const part of parts) {
    if (part === "") continue
    const t = splitTerm(part)
    if (t === undefined) return Either.left(`invalid selector: '${input}'; can't understand '${part}'`)
    const v = unescapeValue(t.rhs)
    if (Either.isLeft(v)) return Either.left(v.left)
    terms.push({ field: t.lhs.trim(), operator: t.op === "!=" ? "!=" : "=", value: v.right })
  }
  return Either.right(terms)
}

export const matches = (selector: Selector, lookup: (path: string) => string | undefined): boolean =>
  selector.every((t) => ((lookup(t.field) ?? "") === t.value) === (t.operator === "="))

/** The fields a selector refers to, so the server can reject unsupported ones. */
export const fields = (selector: Selector): ReadonlyArray<string> => [...new Set(selector.map((t) => t.field))]

/** The value `field` must equal for the selector to match, if it pins one (e.g. `metadata.name`). */
export const requiresExactMatch = (selector: Selector, field: string): string | undefined =>
  selector.find((t) => t.field === field && t.operator === "=")?.value

export const toString = (selector: Selector): string =>
  selector.map((t) => `${t.field}${t.operator}${escapeValue(t.value)}`).join(",")

/** The error for a field a generic resource cannot select on (apimachinery's default conversion). */
export const notKnownMessage = (field: string): string =>
  `${JSON.stringify(field)} is not a known field selector: only "metadata.name", "metadata.namespace"`

/** The error form of kinds with their own field conversion (events, namespaces, secrets...). */
export const notSupportedMessage = (field: string): string => `field label not supported: ${field}`
