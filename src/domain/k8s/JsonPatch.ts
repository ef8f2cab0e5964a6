/**
 * JSON Patch (RFC 6902) with JSON Pointers (RFC 6901): the
 * `application/json-patch+json` patch type, which @kubernetes/client-node sends
 * by default for `patchNamespaced*`. Operations add, remove, replace, move,
 * copy and test apply in order to a copy of the document; the first failure
 * stops the patch (the server answers 422) with a message in the style of
 * evanphx/json-patch, which the real apiserver uses.
 */
import * as Either from "effect/Either"
import { clone, deepEqual, isArray, isObject, set, type Json, type MutableJsonObject } from "./Json.js"

export type Operation =
  | { readonly op: "add" | "replace" | "test"; readonly path: string; readonly value: Json }
  | { readonly op: "remove"; readonly path: string }
  | { readonly op: "move" | "copy"; readonly from: string; readonly path: string }

/** RFC 6901: `/a~1b/~0c` → `["a/b", "~c"]`; "" is the whole document. */
export const parsePointer = (pointer: string): Either.Either<ReadonlyArray<string>, string> => {
  if (pointer === "") return Either.right([])
  if (!pointer.startsWith("/")) return Either.left(`JSON pointer must be empty or start with a "/": ${JSON.stringify(pointer)}`)
  return Either.right(pointer.slice(1).split("/").map((t) => t.replace(/~1/g, "/").replace(/~0/g, "~")))
}

export const formatPointer = (tokens: ReadonlyArray<string>): string =>
  tokens.map((t) => `/${t.replace(/~/g, "~0").replace(/\//g, "~1")}`).join("")

/** Decodes a request body into operations, checking each has the members its op needs. */
export const decode = (body: Json): Either.Either<ReadonlyArray<Operation>, string> => {
  if (!isArray(body)) return Either.left(`json: cannot unmarshal ${isObject(body) ? "object" : typeof body} into Go value of type jsonpatch.Patch`)
  const ops: Array<Operation> = []
  for (const raw of body) {
    if (!isObject(raw)) return Either.left("json: cannot unmarshal operation: not an object")
    const op = raw["op"]
    const path = raw["path"]
    if (typeof path !== "string") return Either.left(`operation ${JSON.stringify(op ?? "")} is missing path`)
    switch (op) {
      case "add":
      case "replace":
      case "test":
        if (!Object.prototype.hasOwnProperty.call(raw, "value")) return Either.left(`${op} operation is missing value`)
        ops.push({ op, path, value: raw["value"] ?? null })
        break
      case "remove":
        ops.push({ op, path })
        break
      case "move":
      case "copy": {
        const from = raw["from"]
        if (typeof from !== "string") return Either.left(`${op} operation is missing from`)
        ops.push({ op, from, path })
        break
      }
      default:
        return Either.left(`Unexpected kind: ${String(op)}`)
    }
  }
  return Either.right(ops)
}

type Container = MutableJsonObject | Array<Json>

const arrayIndex = (token: string, length: number, forAdd: boolean): number | undefined => {
  if (forAdd && token === "-") return length
  if (!/^(0|[1-9]\d*)$/.test(token)) return undefined
  const i = Number(token)
  return i < (forAdd ? length + 1 : length) ? i : undefined
}

const getAt = (doc: Json, tokens: ReadonlyArray<string>): Json | undefined => {
  let cur: Json = doc
  for (const t of tokens) {
    if (isArray(cur)) {
      const i = arrayIndex(t, cur.length, false)
      if (i === undefined) return undefined
      cur = cur[i] ?? null
    } else if (isObject(cur) && Object.prototype.hasOwnProperty.call(cur, t)) {
      cur = cur[t] ?? null
    } else {
      return undefined
    }
  }
  return cur
}

/** The container that holds the pointer's last token, in a mutable document. */
const parentOf = (doc: Json, tokens: ReadonlyArray<string>): { parent: Container; key: string } | undefined => {
  const key = tokens[tokens.length - 1]
  const parent = getAt(doc, tokens.slice(0, -1))
  if (key === undefined || parent === undefined || !(isArray(parent) || isObject(parent))) return undefined
  return { parent: parent as Container, key }
}

interface Doc {
  root: Json
}

const add = (doc: Doc, tokens: ReadonlyArray<string>, value: Json, what: string, path: string): string | undefined => {
  if (tokens.length === 0) {
    doc.root = value
    return undefined
  }
  const p = parentOf(doc.root, tokens)
  if (p === undefined) return `${what} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`
  if (Array.isArray(p.parent)) {
    const i = arrayIndex(p.key, p.parent.length, true)
    if (i === undefined) return `Unable to access invalid index: ${p.key}: invalid index referenced`
    p.parent.splice(i, 0, value)
  } else {
    set(p.parent, p.key, value)
  }
  return undefined
}

const remove = (doc: Doc, tokens: ReadonlyArray<string>, what: string, path: string): Either.Either<Json, string> => {
  const missing = Either.left(`${what} operation does not apply: doc is missing path: ${JSON.stringify(path)}: missing value`)
  if (tokens.length === 0) return missing
  const p = parentOf(doc.root, tokens)
  if (p === undefined) return missing
  if (Array.isArray(p.parent)) {
    const i = arrayIndex(p.key, p.parent.length, false)
    if (i === undefined) return Either.left(`Unable to access invalid index: ${p.key}: invalid index referenced`)
    return Either.right(p.parent.splice(i, 1)[0] ?? null)
  }
  if (!Object.prototype.hasOwnProperty.call(p.parent, p.key)) return missing
  const old = p.parent[p.key] ?? null
  delete p.parent[p.key]
  return Either.right(old)
}

const applyOne = (doc: Doc, op: Operation): string | undefined => {
  const target = parsePointer(op.path)
  if (Either.isLeft(target)) return target.left
  const tokens = target.right
  switch (op.op) {
    case "add":
      return add(doc, tokens, clone(op.value), "add", op.path)
    case "remove": {
      const r = remove(doc, tokens, "remove", op.path)
      return Either.isLeft(r) ? r.left : undefined
    }
    case "replace": {
      if (tokens.length === 0) {
        doc.root = clone(op.value)
        return undefined
      }
      const p = parentOf(doc.root, tokens)
      const missing = `replace operation does not apply: doc is missing key: ${op.path}: missing value`
      if (p === undefined) return missing
      if (Array.isArray(p.parent)) {
        const i = arrayIndex(p.key, p.parent.length, false)
        if (i === undefined) return `Unable to access invalid index: ${p.key}: invalid index referenced`
        p.parent[i] = clone(op.value)
      } else {
        if (!Object.prototype.hasOwnProperty.call(p.parent, p.key)) return missing
        set(p.parent, p.key, clone(op.value))
      }
      return undefined
    }
    case "test": {
      const have = getAt(doc.root, tokens)
      if (have === undefined) {
        return op.value === null ? undefined : `testing value ${op.path} failed: test failed`
      }
      return deepEqual(have, op.value) ? undefined : `testing value ${op.path} failed: test failed`
    }
    case "move":
    case "copy": {
      const from = parsePointer(op.from)
      if (Either.isLeft(from)) return from.left
      if (op.op === "move") {
        if (op.from === op.path) return undefined
        if (op.path.startsWith(`${op.from}/`)) return `move operation does not apply: cannot move ${op.from} into its own child ${op.path}`
        const taken = remove(doc, from.right, "move", op.from)
        if (Either.isLeft(taken)) return `move operation does not apply: doc is missing from path: ${op.from}: missing value`
        return add(doc, tokens, taken.right, "move", op.path)
      }
      const v = getAt(doc.root, from.right)
      if (v === undefined) return `copy operation does not apply: doc is missing from path: ${op.from}: missing value`
      return add(doc, tokens, clone(v), "copy", op.path)
    }
  }
}

/** Applies operations in order; the document is never mutated. */
export const apply = (document: Json, ops: ReadonlyArray<Operation>): Either.Either<Json, string> => {
  const doc: Doc = { root: clone(document) }
  for (const op of ops) {
    const err = applyOne(doc, op)
    if (err !== undefined) return Either.left(err)
  }
  return Either.right(doc.root)
}

/** Decodes then applies a raw request body. */
export const applyBody = (document: Json, body: Json): Either.Either<Json, string> =>
  Either.flatMap(decode(body), (ops) => apply(document, ops))
