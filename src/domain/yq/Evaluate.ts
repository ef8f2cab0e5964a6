/**
 * Evaluates an expression (Expression.ts) the way yq and jq do: every
 * expression maps one input value to a sequence of outputs. Values are plain
 * JSON-like data (what `yaml` parses a document into). Assignments work on
 * paths: the left side names the places (`.a`, `.a[0]`, `.[] | select(...)`),
 * the right side gives the value (`=`, evaluated against the whole input) or
 * the update (`|=`, evaluated against each place's old value). Inputs are never
 * modified; an assignment returns a new value.
 * Functions: select, keys, length, has, not, map, to_entries, type, add.
 */
import type { Ast } from "./Expression.js"

export class EvalError extends Error {}

type Json = unknown
type Key = string | number
interface Place {
  readonly path: ReadonlyArray<Key>
  readonly value: Json
}

const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v)
const truthy = (v: Json): boolean => v !== null && v !== false && v !== undefined

export const typeName = (v: Json): string =>
  v === null || v === undefined ? "!!null" : Array.isArray(v) ? "!!seq" : isObject(v) ? "!!map" : typeof v === "string" ? "!!str" :
  typeof v === "boolean" ? "!!bool" : Number.isInteger(v) ? "!!int" : "!!float"

export const equal = (a: Json, b: Json): boolean => {
  if (a === b) return true
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a)
    return ka.length === Object.keys(b).length && ka.every((k) => k in b && equal(a[k], b[k]))
  }
  return (a ?? null) === (b ?? null)
}

const child = (v: Json, key: Key): Json => {
  if (v === null || v === undefined) return null
  if (typeof key === "number") {
    if (!Array.isArray(v)) throw new EvalError(`cannot index ${typeName(v)} with a number (${key})`)
    return v[key < 0 ? v.length + key : key] ?? null
  }
  if (!isObject(v)) throw new EvalError(`cannot index ${typeName(v)} with ${JSON.stringify(key)}`)
  return Object.hasOwn(v, key) ? v[key] : null
}

const keyOf = (k: Json): Key => {
  if (typeof k === "string") return k
  if (typeof k === "number" && Number.isInteger(k)) return k
  throw new EvalError(`cannot use ${typeName(k)} as an index`)
}

const elements = (v: Json): ReadonlyArray<Place> => {
  if (Array.isArray(v)) return v.map((value, i) => ({ path: [i], value }))
  if (isObject(v)) return Object.keys(v).map((k) => ({ path: [k], value: v[k] }))
  if (v === null || v === undefined) return []
  throw new EvalError(`cannot iterate over ${typeName(v)}`)
}

const compare = (a: Json, b: Json): number => {
  if (typeof a === "number" && typeof b === "number") return a - b
  if (typeof a === "string" && typeof b === "string") return a < b ? -1 : a > b ? 1 : 0
  throw new EvalError(`cannot compare ${typeName(a)} with ${typeName(b)}`)
}

const plus = (a: Json, b: Json): Json => {
  if (a === null || a === undefined) return b
  if (b === null || b === undefined) return a
  if (typeof a === "number" && typeof b === "number") return a + b
  if (typeof a === "string" && typeof b === "string") return a + b
  if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b]
  if (isObject(a) && isObject(b)) return { ...a, ...b }
  throw new EvalError(`cannot add ${typeName(b)} to ${typeName(a)}`)
}

const minus = (a: Json, b: Json): Json => {
  if (typeof a === "number" && typeof b === "number") return a - b
  if (Array.isArray(a) && Array.isArray(b)) return a.filter((x) => !b.some((y) => equal(x, y)))
  throw new EvalError(`cannot subtract ${typeName(b)} from ${typeName(a)}`)
}

/** A copy of `root` with `value` at `path`, creating maps (string keys) and sequences (numbers) on the way. */
export const setPath = (root: Json, path: ReadonlyArray<Key>, value: Json): Json => {
  if (path.length === 0) return value
  const [key, ...rest] = path as [Key, ...Array<Key>]
  if (typeof key === "number") {
    const arr = Array.isArray(root) ? [...root] : root === null || root === undefined ? [] : undefined
    if (arr === undefined) throw new EvalError(`cannot index ${typeName(root)} with a number (${key})`)
    const i = key < 0 ? arr.length + key : key
    if (i < 0) throw new EvalError(`index ${key} is out of range`)
    while (arr.length < i) arr.push(null)
    arr[i] = setPath(arr[i] ?? null, rest, value)
    return arr
  }
  const obj = isObject(root) ? { ...root } : root === null || root === undefined ? {} : undefined
  if (obj === undefined) throw new EvalError(`cannot index ${typeName(root)} with ${JSON.stringify(key)}`)
  obj[key] = setPath(Object.hasOwn(obj, key) ? obj[key] : null, rest, value)
  return obj
}

const getPath = (root: Json, path: ReadonlyArray<Key>): Json => path.reduce<Json>((v, k) => child(v, k), root)

const cartesian = <A, B>(as: ReadonlyArray<A>, bs: ReadonlyArray<B>): Array<readonly [A, B]> => bs.flatMap((b) => as.map((a) => [a, b] as const))

const callFunction = (name: string, args: ReadonlyArray<Ast>, input: Json): ReadonlyArray<Json> => {
  const arity = (n: number) => {
    if (args.length !== n) throw new EvalError(`${name} takes ${n} argument${n === 1 ? "" : "s"}, not ${args.length}`)
  }
  switch (name) {
    case "select":
      arity(1)
      return evaluate(args[0]!, input).some(truthy) ? [input] : []
    case "keys":
      arity(0)
      if (Array.isArray(input)) return [input.map((_, i) => i)]
      if (isObject(input)) return [Object.keys(input)]
      throw new EvalError(`keys of ${typeName(input)} are not defined`)
    case "length":
      arity(0)
      if (input === null || input === undefined) return [0]
      if (typeof input === "string" || Array.isArray(input)) return [input.length]
      if (isObject(input)) return [Object.keys(input).length]
      if (typeof input === "number") return [Math.abs(input)]
      throw new EvalError(`length of ${typeName(input)} is not defined`)
    case "has":
      arity(1)
      return evaluate(args[0]!, input).map((k) =>
        Array.isArray(input) ? typeof k === "number" && k >= 0 && k < input.length : isObject(input) && typeof k === "string" && Object.hasOwn(input, k))
    case "not":
      arity(0)
      return [!truthy(input)]
    case "map":
      arity(1)
      return [elements(input).flatMap((e) => evaluate(args[0]!, e.value))]
    case "to_entries":
      arity(0)
      return [elements(input).map((e) => ({ key: e.path[0], value: e.value }))]
    case "type":
      arity(0)
      return [typeName(input)]
    case "add":
      arity(0)
      return [elements(input).reduce<Json>((acc, e) => plus(acc, e.value), null)]
    default:
      throw new EvalError(`unknown function ${JSON.stringify(name)} (rdd yq implements select, keys, length, has, not, map, to_entries, type, add)`)
  }
}

/** The places an assignment's left side names in `input`. */
export const places = (ast: Ast, input: Json): ReadonlyArray<Place> => {
  switch (ast._tag) {
    case "Identity":
      return [{ path: [], value: input }]
    case "Field":
      return places(ast.target, input).map((p) => ({ path: [...p.path, ast.name], value: child(p.value, ast.name) }))
    case "Index":
      return places(ast.target, input).flatMap((p) =>
        evaluate(ast.index, input).map((k) => ({ path: [...p.path, keyOf(k)], value: child(p.value, keyOf(k)) })))
    case "Iterate":
      return places(ast.target, input).flatMap((p) => elements(p.value).map((e) => ({ path: [...p.path, ...e.path], value: e.value })))
    case "Optional":
      try {
        return places(ast.target, input)
      } catch (e) {
        if (e instanceof EvalError) return []
        throw e
      }
    case "Pipe":
      return places(ast.left, input).flatMap((p) => places(ast.right, p.value).map((q) => ({ path: [...p.path, ...q.path], value: q.value })))
    case "Comma":
      return [...places(ast.left, input), ...places(ast.right, input)]
    case "Call":
      if (ast.name === "select" && ast.args.length === 1) return evaluate(ast.args[0]!, input).some(truthy) ? [{ path: [], value: input }] : []
      break
    default:
      break
  }
  throw new EvalError(`invalid path expression on the left of an assignment (${ast._tag === "Call" ? ast.name : ast._tag.toLowerCase()})`)
}

export const evaluate = (ast: Ast, input: Json): ReadonlyArray<Json> => {
  switch (ast._tag) {
    case "Identity":
      return [input]
    case "Field":
      return evaluate(ast.target, input).map((v) => child(v, ast.name))
    case "Index":
      return evaluate(ast.target, input).flatMap((v) => evaluate(ast.index, input).map((k) => child(v, keyOf(k))))
    case "Iterate":
      return evaluate(ast.target, input).flatMap((v) => elements(v).map((e) => e.value))
    case "Optional":
      try {
        return evaluate(ast.target, input)
      } catch (e) {
        if (e instanceof EvalError) return []
        throw e
      }
    case "Pipe":
      return evaluate(ast.left, input).flatMap((v) => evaluate(ast.right, v))
    case "Comma":
      return [...evaluate(ast.left, input), ...evaluate(ast.right, input)]
    case "Literal":
      return [ast.value]
    case "Collect":
      return [ast.body === undefined ? [] : [...evaluate(ast.body, input)]]
    case "Object": {
      let objects: Array<Record<string, Json>> = [{}]
      for (const [k, v] of ast.entries) {
        const keys = evaluate(k, input).map((key) => {
          if (typeof key !== "string") throw new EvalError(`an object key must be a string, not ${typeName(key)}`)
          return key
        })
        const values = evaluate(v, input)
        objects = objects.flatMap((o) => cartesian(keys, values).map(([key, value]) => ({ ...o, [key]: value })))
      }
      return objects
    }
    case "Call":
      return callFunction(ast.name, ast.args, input)
    case "Binary": {
      if (ast.op === "//") {
        const left = (() => {
          try {
            return evaluate(ast.left, input).filter(truthy)
          } catch (e) {
            if (e instanceof EvalError) return []
            throw e
          }
        })()
        return left.length > 0 ? left : evaluate(ast.right, input)
      }
      if (ast.op === "and" || ast.op === "or") {
        return evaluate(ast.left, input).flatMap((l) => {
          if (ast.op === "and" && !truthy(l)) return [false]
          if (ast.op === "or" && truthy(l)) return [true]
          return evaluate(ast.right, input).map(truthy)
        })
      }
      const pairs = cartesian(evaluate(ast.left, input), evaluate(ast.right, input))
      return pairs.map(([l, r]) => {
        switch (ast.op) {
          case "==": return equal(l, r)
          case "!=": return !equal(l, r)
          case "<": return compare(l, r) < 0
          case "<=": return compare(l, r) <= 0
          case ">": return compare(l, r) > 0
          case ">=": return compare(l, r) >= 0
          case "+": return plus(l, r)
          case "-": return minus(l, r)
        }
      })
    }
    case "Assign": {
      const targets = places(ast.path, input)
      if (ast.op === "|=") {
        return [targets.reduce<Json>((root, p) => {
          const [updated] = evaluate(ast.value, getPath(root, p.path))
          return updated === undefined ? root : setPath(root, p.path, updated)
        }, input)]
      }
      // `=` and `+=`: the right side is evaluated against the whole input, once per value it gives
      return evaluate(ast.value, input).map((v) =>
        targets.reduce<Json>((root, p) => setPath(root, p.path, ast.op === "=" ? v : plus(getPath(root, p.path), v)), input))
    }
  }
}
