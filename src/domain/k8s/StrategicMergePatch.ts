/**
 * Strategic merge patch (`application/strategic-merge-patch+json`), as
 * k8s.io/apimachinery/pkg/util/strategicpatch applies it and as kubectl's
 * client-side apply and `kubectl patch` send it for built-in kinds. The merge
 * behaviour of each list comes from a `PatchSchema` (the `patchStrategy` /
 * `patchMergeKey` tags of the Go types; see StrategicSchemas.ts): `merge` lists
 * of scalars are sets, `merge` lists of objects merge by their key, other lists
 * are replaced. Directives: `$patch: replace|merge|delete` (maps and list
 * items), `$retainKeys`, `$deleteFromPrimitiveList/<f>`, `$setElementOrder/<f>`.
 * Without a schema (unknown types) maps merge and lists replace, i.e. JSON merge
 * patch semantics; the API server itself answers 415 for custom resources.
 */
import * as Either from "effect/Either"
import { clone, deepEqual, isArray, isObject, set, type Json, type JsonObject, type MutableJsonObject } from "./Json.js"

export type PatchSchema =
  | {
    readonly type: "map"
    /** struct fields */
    readonly fields?: Readonly<Record<string, PatchSchema>>
    /** the schema of every value of a map[string]T */
    readonly values?: PatchSchema
  }
  | {
    readonly type: "list"
    readonly strategy: "merge" | "replace"
    /** for lists of objects with strategy merge */
    readonly mergeKey?: string
    readonly items?: PatchSchema
  }
  | { readonly type: "scalar" }

const directiveMarker = "$patch"
const retainKeysDirective = "$retainKeys"
const deleteFromPrimitiveListPrefix = "$deleteFromPrimitiveList/"
const setElementOrderPrefix = "$setElementOrder/"

type Result<A> = Either.Either<A, string>

const fieldSchema = (schema: PatchSchema | undefined, key: string): PatchSchema | undefined => {
  if (schema === undefined || schema.type !== "map") return undefined
  return schema.fields?.[key] ?? schema.values
}

const itemSchema = (schema: PatchSchema | undefined): PatchSchema | undefined =>
  schema !== undefined && schema.type === "list" ? schema.items : undefined

const isMergeList = (schema: PatchSchema | undefined): boolean => schema?.type === "list" && schema.strategy === "merge"

const mergeKeyOf = (schema: PatchSchema | undefined): string | undefined =>
  schema !== undefined && schema.type === "list" ? schema.mergeKey : undefined

// ---- ordering (normalizeElementOrder / mergeSortedSlice in Go) -----------------------

const indexIn = (list: ReadonlyArray<Json>, item: Json, mergeKey: string | undefined): number => {
  if (mergeKey !== undefined && isObject(item)) {
    const k = item[mergeKey]
    return list.findIndex((x) => isObject(x) && deepEqual(x[mergeKey], k))
  }
  return list.findIndex((x) => deepEqual(x, item))
}

const sortByOrder = (items: ReadonlyArray<Json>, order: ReadonlyArray<Json>, mergeKey: string | undefined): Array<Json> =>
  items
    .map((item, i) => ({ item, i, at: indexIn(order, item, mergeKey) }))
    .sort((a, b) => (a.at >= 0 && b.at >= 0 ? a.at - b.at : a.i - b.i))
    .map((x) => x.item)

/**
 * Puts `patchItems` in `patchOrder`, `serverOnly` in `serverOrder`, then
 * interleaves them: a server-only item goes before a patch item only if both
 * are in the live list and it came first there.
 */
const normalizeOrder = (
  merged: ReadonlyArray<Json>,
  patchOrder: ReadonlyArray<Json>,
  serverOrder: ReadonlyArray<Json>,
  mergeKey: string | undefined
): Array<Json> => {
  const inPatch = merged.filter((x) => indexIn(patchOrder, x, mergeKey) >= 0)
  const serverOnly = merged.filter((x) => indexIn(patchOrder, x, mergeKey) < 0)
  const right = sortByOrder(inPatch, patchOrder, mergeKey)
  const left = sortByOrder(serverOnly, serverOrder, mergeKey)
  const out: Array<Json> = []
  let i = 0
  let j = 0
  while (i < left.length || j < right.length) {
    const l = left[i]
    const r = right[j]
    if (l === undefined) {
      out.push(r ?? null)
      j++
    } else if (r === undefined) {
      out.push(l)
      i++
    } else {
      const li = indexIn(serverOrder, l, mergeKey)
      const ri = indexIn(serverOrder, r, mergeKey)
      if (li >= 0 && ri >= 0 && li < ri) {
        out.push(l)
        i++
      } else {
        out.push(r)
        j++
      }
    }
  }
  return out
}

// ---- lists --------------------------------------------------------------------------

const dedupe = (xs: ReadonlyArray<Json>): Array<Json> => {
  const out: Array<Json> = []
  for (const x of xs) if (!out.some((y) => deepEqual(x, y))) out.push(x)
  return out
}

const mergeSlice = (original: ReadonlyArray<Json>, patch: ReadonlyArray<Json>, schema: PatchSchema | undefined, name: string): Result<Array<Json>> => {
  if (original.length === 0 && patch.length === 0) return Either.right([])
  const all = [...original, ...patch]
  const objects = all.filter(isObject).length
  if (objects !== 0 && objects !== all.length) return Either.left(`mismatched element types in list ${name}`)
  if (objects === 0) {
    const merged = dedupe(all)
    return Either.right(normalizeOrder(merged, patch, original, undefined))
  }
  const mergeKey = mergeKeyOf(schema)
  if (mergeKey === undefined) return Either.left(`cannot merge lists without merge key for ${name}`)
  // special elements: {"$patch": "delete", <key>: v} and {"$patch": "replace"}
  let base: Array<Json> = original.map((x) => clone(x))
  const plain: Array<JsonObject> = []
  let replace = false
  for (const el of patch as ReadonlyArray<JsonObject>) {
    const d = el[directiveMarker]
    if (d === undefined) {
      plain.push(el)
      continue
    }
    if (d === "delete") {
      if (!Object.prototype.hasOwnProperty.call(el, mergeKey)) {
        return Either.left(`map: ${JSON.stringify(el)} does not contain declared merge key: ${mergeKey}`)
      }
      base = base.filter((x) => !(isObject(x) && deepEqual(x[mergeKey], el[mergeKey])))
    } else if (d === "replace") {
      replace = true
    } else if (d === "merge") {
      return Either.left("merging lists cannot yet be specified in the patch")
    } else {
      return Either.left(`Unknown patch type: ${String(d)} in map: ${JSON.stringify(el)}`)
    }
  }
  if (replace) {
    const out: Array<Json> = []
    for (const el of plain) {
      const r = mergeValue(undefined, el, itemSchema(schema), name)
      if (Either.isLeft(r)) return Either.left(r.left)
      out.push(r.right)
    }
    return Either.right(out)
  }
  for (const el of plain) {
    if (!Object.prototype.hasOwnProperty.call(el, mergeKey)) {
      return Either.left(`map: ${JSON.stringify(el)} does not contain declared merge key: ${mergeKey}`)
    }
    const at = base.findIndex((x) => isObject(x) && deepEqual(x[mergeKey], el[mergeKey]))
    const r = mergeMap(at >= 0 ? (base[at] as JsonObject) : undefined, el, itemSchema(schema), name)
    if (Either.isLeft(r)) return Either.left(r.left)
    if (at >= 0) base[at] = r.right
    else base.push(r.right)
  }
  return Either.right(normalizeOrder(base, plain, original, mergeKey))
}

const mergeList = (original: Json | undefined, patch: ReadonlyArray<Json>, schema: PatchSchema | undefined, name: string): Result<Json> => {
  if (isMergeList(schema)) return mergeSlice(isArray(original) ? original : [], patch, schema, name)
  // a replaced list takes the patch as is, like Go (and like JSON merge patch)
  if (isArray(original)) return Either.right(clone(patch))
  // a new field: nulls and directives inside it are cleaned, never stored
  const out: Array<Json> = []
  for (const el of patch) {
    const r = mergeValue(undefined, el, itemSchema(schema), name)
    if (Either.isLeft(r)) return r
    out.push(r.right)
  }
  return Either.right(out)
}

// ---- maps ---------------------------------------------------------------------------

const mergeValue = (original: Json | undefined, patch: Json, schema: PatchSchema | undefined, name: string): Result<Json> => {
  if (isObject(patch)) return mergeMap(isObject(original) ? original : undefined, patch, schema, name)
  if (isArray(patch)) return mergeList(isArray(original) ? original : undefined, patch, schema, name)
  return Either.right(patch)
}

const mergeMap = (original: JsonObject | undefined, patchIn: JsonObject, schema: PatchSchema | undefined, name: string): Result<JsonObject> => {
  const directive = patchIn[directiveMarker]
  const patch: MutableJsonObject = {}
  for (const [k, v] of Object.entries(patchIn)) if (k !== directiveMarker) set(patch, k, v)
  if (directive === "replace") return Either.map(mergeMap(undefined, patch, schema, name), (x) => x)
  if (directive === "delete") return Either.right({})
  if (directive !== undefined && directive !== "merge") {
    return Either.left(`Unknown patch type: ${String(directive)} in map: ${JSON.stringify(patchIn)}`)
  }
  const out: MutableJsonObject = {}
  if (original !== undefined) for (const [k, v] of Object.entries(original)) set(out, k, clone(v))

  if (Object.prototype.hasOwnProperty.call(patch, retainKeysDirective)) {
    const keep = patch[retainKeysDirective]
    delete patch[retainKeysDirective]
    if (!isArray(keep)) return Either.left("invalid patch format of retainKeys")
    const keepSet = new Set(keep.map((k) => String(k)))
    for (const [k, v] of Object.entries(patch)) {
      if (v === null || k.startsWith(deleteFromPrimitiveListPrefix) || k.startsWith(setElementOrderPrefix)) continue
      if (!keepSet.has(k)) return Either.left("invalid patch format of retainKeys")
    }
    for (const k of Object.keys(out)) if (!keepSet.has(k)) delete out[k]
  }

  // $setElementOrder/<f>: merge the list now, then order it as the patch says
  for (const key of Object.keys(patch)) {
    if (!key.startsWith(setElementOrderPrefix)) continue
    const order = patch[key]
    delete patch[key]
    const f = key.slice(setElementOrderPrefix.length)
    if (!isArray(order)) return Either.left(`invalid type for ${key}: must be a list`)
    const sub = fieldSchema(schema, f)
    const live = Object.prototype.hasOwnProperty.call(out, f) ? out[f] : undefined
    const patchList = Object.prototype.hasOwnProperty.call(patch, f) ? patch[f] : undefined
    if (patchList === null) continue
    let merged: Json | undefined = live
    if (isArray(patchList)) {
      const r = mergeList(live, patchList, sub, `${name}.${f}`)
      if (Either.isLeft(r)) return Either.left(r.left)
      merged = r.right
      delete patch[f]
    }
    if (!isArray(merged)) continue
    set(out, f, normalizeOrder(merged, order, isArray(live) ? live : [], mergeKeyOf(sub)))
  }

  for (const [key, v] of Object.entries(patch)) {
    if (key.startsWith(deleteFromPrimitiveListPrefix)) {
      const f = key.slice(deleteFromPrimitiveListPrefix.length)
      const live = out[f]
      if (!isArray(v)) return Either.left(`invalid type for ${key}: must be a list`)
      if (isArray(live)) set(out, f, live.filter((x) => !v.some((d) => deepEqual(d, x))))
      continue
    }
    if (key.startsWith("$")) continue // unknown directives are not data
    // `null` and `{"$patch": "delete"}` both delete a field
    if (v === null || (isObject(v) && v[directiveMarker] === "delete")) {
      delete out[key]
      continue
    }
    const sub = fieldSchema(schema, key)
    const live = Object.prototype.hasOwnProperty.call(out, key) ? out[key] : undefined
    const r = mergeValue(live, v, sub, `${name}.${key}`)
    if (Either.isLeft(r)) return Either.left(r.left)
    set(out, key, r.right)
  }
  return Either.right(out)
}

/**
 * Applies a strategic merge patch to `original`. `schema` describes the
 * object's lists (undefined: JSON merge semantics). Errors are the messages
 * the server reports (as 422/400) for malformed patches.
 */
export const apply = (original: Json, patch: Json, schema?: PatchSchema): Either.Either<Json, string> => {
  if (!isObject(patch)) return Either.left("strategic merge patch must be a JSON object")
  return mergeMap(isObject(original) ? original : undefined, patch, schema, "")
}
