/**
 * The JSONPath subset that CRD `additionalPrinterColumns` and
 * `kubectl wait --for=jsonpath=` use (k8s.io/client-go/util/jsonpath):
 * `.a.b`, `['a.b']`, `[0]`, `[-1]`, `[*]` / `.*`, and filters
 * `[?(@.type=="Ready")]` / `[?(@.x)]` with == != < <= > >=. An optional `{...}`
 * wrapper and leading `$` are accepted. Missing keys yield no results (kube
 * evaluates printer columns with AllowMissingKeys), never an error.
 */
import * as Either from "effect/Either"
import { deepEqual, isArray, isObject, type Json } from "./Json.js"

type Step =
  | { readonly t: "key"; readonly key: string }
  | { readonly t: "index"; readonly i: number }
  | { readonly t: "wild" }
  | { readonly t: "filter"; readonly path: ReadonlyArray<string>; readonly op?: string; readonly value?: Json }

export type Path = ReadonlyArray<Step>

const literal = (s: string): Either.Either<Json, string> => {
  const t = s.trim()
  if (/^'.*'$/.test(t) || /^".*"$/.test(t)) return Either.right(t.slice(1, -1))
  if (t === "true" || t === "false") return Either.right(t === "true")
  if (t === "null") return Either.right(null)
  if (/^-?\d+(\.\d+)?$/.test(t)) return Either.right(Number(t))
  return Either.left(`unrecognized literal ${t}`)
}

/** Parses a path; Left names the part that is not in the supported subset. */
export const parse = (input: string): Either.Either<Path, string> => {
  let s = input.trim()
  if (s.startsWith("{") && s.endsWith("}")) s = s.slice(1, -1).trim()
  if (s.startsWith("$")) s = s.slice(1)
  const steps: Array<Step> = []
  let i = 0
  while (i < s.length) {
    const c = s[i]
    if (c === ".") {
      if (s[i + 1] === ".") return Either.left("recursive descent (..) is not supported")
      let j = i + 1
      while (j < s.length && s[j] !== "." && s[j] !== "[") j++
      const key = s.slice(i + 1, j)
      if (key === "") {
        i = j
        continue
      }
      steps.push(key === "*" ? { t: "wild" } : { t: "key", key })
      i = j
    } else if (c === "[") {
      const end = s.indexOf("]", i)
      if (end < 0) return Either.left(`unclosed [ in ${input}`)
      let inner = s.slice(i + 1, end).trim()
      if (inner.startsWith("?(")) {
        // a filter may itself contain "]" inside quotes: find the closing ")]"
        const close = s.indexOf(")]", i)
        if (close < 0) return Either.left(`unclosed filter in ${input}`)
        inner = s.slice(i + 3, close).trim()
        const m = /^@((?:\.[A-Za-z0-9_-]+)+)\s*(?:(==|!=|<=|>=|<|>)\s*(.+))?$/.exec(inner)
        if (m === null) return Either.left(`unsupported filter ${inner}`)
        const path = (m[1] ?? "").split(".").filter((x) => x !== "")
        if (m[2] === undefined) steps.push({ t: "filter", path })
        else {
          const v = literal(m[3] ?? "")
          if (Either.isLeft(v)) return Either.left(v.left)
          steps.push({ t: "filter", path, op: m[2], value: v.right })
        }
        i = close + 2
        continue
      }
      if (inner === "*") steps.push({ t: "wild" })
      else if (/^-?\d+$/.test(inner)) steps.push({ t: "index", i: Number(inner) })
      else if (/^'.*'$/.test(inner) || /^".*"$/.test(inner)) steps.push({ t: "key", key: inner.slice(1, -1) })
      else return Either.left(`unsupported subscript [${inner}]`)
      i = end + 1
    } else {
      return Either.left(`unexpected ${JSON.stringify(c)} in ${input}`)
    }
  }
  return Either.right(steps)
}

const compare = (a: Json | undefined, op: string, b: Json): boolean => {
  if (op === "==") return a !== undefined && deepEqual(a, b)
  if (op === "!=") return a === undefined || !deepEqual(a, b)
  if (typeof a === "number" && typeof b === "number") {
    return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b
  }
  if (typeof a === "string" && typeof b === "string") {
    return op === "<" ? a < b : op === "<=" ? a <= b : op === ">" ? a > b : a >= b
  }
  return false
}

const getPath = (v: Json, path: ReadonlyArray<string>): Json | undefined => {
  let cur: Json | undefined = v
  for (const k of path) {
    if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, k)) return undefined
    cur = cur[k]
  }
  return cur
}

/** Every value the path selects, in document order. */
export const evaluate = (path: Path, root: Json): ReadonlyArray<Json> => {
  let cur: Array<Json> = [root]
  for (const step of path) {
    const next: Array<Json> = []
    for (const v of cur) {
      switch (step.t) {
        case "key":
          if (isObject(v) && Object.prototype.hasOwnProperty.call(v, step.key)) next.push(v[step.key] ?? null)
          break
        case "index":
          if (isArray(v)) {
            const i = step.i < 0 ? v.length + step.i : step.i
            if (i >= 0 && i < v.length) next.push(v[i] ?? null)
          }
          break
        case "wild":
          if (isArray(v)) next.push(...v)
          else if (isObject(v)) next.push(...Object.values(v))
          break
        case "filter":
          if (isArray(v)) {
            for (const x of v) {
              const got = getPath(x, step.path)
              if (step.op === undefined ? got !== undefined && got !== false && got !== null : compare(got, step.op, step.value ?? null)) next.push(x)
            }
          }
          break
      }
    }
    cur = next
  }
  return cur
}

/** Parse and evaluate in one go; a path outside the subset selects nothing. */
export const query = (path: string, root: Json): ReadonlyArray<Json> =>
  Either.match(parse(path), { onLeft: () => [], onRight: (p) => evaluate(p, root) })

/** How jsonpath prints one value: strings bare, other scalars as text, composites as JSON. */
export const printValue = (v: Json): string => (typeof v === "string" ? v : JSON.stringify(v))
