/**
 * Field ownership for server-side apply: sets of field paths in the
 * `fieldsV1` form kube stores in `metadata.managedFields`
 * (`{"f:data":{"f:a":{}}}`, list items as `k:{"name":"x"}` for associative
 * lists, `v:"value"` for sets, `i:0` otherwise, `.` for "this node itself"),
 * the list/map semantics that decide how an object splits into fields (from
 * strategic-merge metadata for built-in kinds, from x-kubernetes-list-type /
 * map-keys / map-type for CRDs), and the entries of `managedFields`.
 */
import { deepEqual, isArray, isObject, type Json, type JsonObject, type MutableJsonObject } from "./Json.js"
import * as S from "./SchemaWalk.js"
import type { PatchSchema } from "./StrategicMergePatch.js"

// ---- types: how values split into fields ----------------------------------------------------

export type ListKind = { readonly kind: "atomic" } | { readonly kind: "set" } | { readonly kind: "map"; readonly keys: ReadonlyArray<string> }

/** What the apply machinery needs to know about a node of an object's type. */
export interface FieldType {
  /** a map/struct whose fields are owned separately (false: owned as a whole) */
  readonly granular: boolean
  readonly list: ListKind
  readonly field: (k: string) => FieldType
  readonly item: () => FieldType
}

/** Unknown territory: maps granular, lists atomic (what kube does for untyped fields). */
export const deduced: FieldType = { granular: true, list: { kind: "atomic" }, field: () => deduced, item: () => deduced }

/** From strategic-merge metadata (built-in kinds): merge+key → associative, merge → set, else atomic. */
export const fromPatchSchema = (ps: PatchSchema | undefined): FieldType => {
  if (ps === undefined) return deduced
  if (ps.type === "list") {
    const list: ListKind =
      ps.strategy !== "merge" ? { kind: "atomic" } : ps.mergeKey !== undefined ? { kind: "map", keys: [ps.mergeKey] } : { kind: "set" }
    return { granular: true, list, field: () => deduced, item: () => fromPatchSchema(ps.items) }
  }
  if (ps.type === "map") {
    return { granular: true, list: { kind: "atomic" }, field: (k) => fromPatchSchema(ps.fields?.[k] ?? ps.values), item: () => deduced }
  }
  return deduced
}

/** From a CRD's structural schema: lists are atomic unless x-kubernetes-list-type says otherwise. */
export const fromStructural = (s: S.Schema | undefined): FieldType => {
  if (s === undefined) return deduced
  const lt = S.listType(s)
  const list: ListKind = lt === "set" ? { kind: "set" } : lt === "map" ? { kind: "map", keys: S.listMapKeys(s) } : { kind: "atomic" }
  return {
    granular: s["x-kubernetes-map-type"] !== "atomic",
    list,
    field: (k) => {
      const c = S.childSchema(s, k)
      return c === true || c === undefined ? deduced : fromStructural(c)
    },
    item: () => fromStructural(S.items(s))
  }
}

// ---- paths ------------------------------------------------------------------------------------

/** One step of a field path, in fieldsV1 spelling (`f:name`, `k:{"type":"A"}`, `v:"x"`, `i:0`). */
export type Element = string
export type Path = ReadonlyArray<Element>

/** The JSON after `k:`/`v:`; undefined if a client stored something else there. */
const elementJson = (e: Element): Json | undefined => {
  try {
    return JSON.parse(e.slice(2)) as Json
  } catch {
    return undefined
  }
}

const sortedJson = (o: JsonObject): string =>
  `{${Object.keys(o).sort().map((k) => `${JSON.stringify(k)}:${JSON.stringify(o[k])}`).join(",")}}`

export const keyElement = (item: JsonObject, keys: ReadonlyArray<string>): Element => {
  const k: MutableJsonObject = {}
  for (const key of keys) if (Object.prototype.hasOwnProperty.call(item, key)) k[key] = item[key] ?? null
  return `k:${sortedJson(k)}`
}

/** The path as kube prints it in conflicts: `.spec.containers[name="a"].image`, `.metadata.finalizers[="x"]`. */
export const pathString = (p: Path): string =>
  p.map((e) => {
    if (e.startsWith("f:")) return `.${e.slice(2)}`
    if (e.startsWith("v:")) return `[=${e.slice(2)}]`
    if (e.startsWith("i:")) return `[${e.slice(2)}]`
    if (e.startsWith("k:")) {
      const o = elementJson(e)
      return isObject(o) ? `[${Object.keys(o).map((k) => `${k}=${JSON.stringify(o[k])}`).join(",")}]` : `[${e.slice(2)}]`
    }
    return e
  }).join("")

/** Fields of the object itself that ownership never covers. */
const untrackedRoot = new Set(["apiVersion", "kind"])
const trackedMeta = new Set(["labels", "annotations", "finalizers", "ownerReferences"])

/**
 * The fields `value` sets: leaves, whole atomic lists/maps, set items, and
 * associative items (which own themselves and their fields). At the root,
 * apiVersion/kind and the system metadata (name, uid, resourceVersion, ...)
 * are not fields anyone owns.
 */
export const fieldsOf = (value: Json, type: FieldType, opts: { readonly ignoreStatus?: boolean } = {}): Set<string> => {
  const out = new Set<string>()
  const add = (p: Path) => out.add(JSON.stringify(p))
  const walk = (v: Json, t: FieldType, p: Path, depth: number): void => {
    if (isObject(v) && t.granular) {
      const keys = Object.keys(v)
      if (keys.length === 0 && p.length > 0) add(p)
      for (const k of keys) {
        if (depth === 0 && (untrackedRoot.has(k) || (opts.ignoreStatus === true && k === "status"))) continue
        if (depth === 1 && p[0] === "f:metadata" && !trackedMeta.has(k)) continue
        walk(v[k] ?? null, t.field(k), [...p, `f:${k}`], depth + 1)
      }
      return
    }
    if (isArray(v) && t.list.kind !== "atomic") {
      if (v.length === 0) add(p)
      const list = t.list
      v.forEach((item, i) => {
        if (list.kind === "set") add([...p, `v:${JSON.stringify(item)}`])
        else if (list.kind === "map" && isObject(item)) {
          const ip = [...p, keyElement(item, list.keys)]
          add(ip)
          walk(item, t.item(), ip, depth + 1)
        } else add([...p, `i:${i}`])
      })
      return
    }
    if (p.length > 0) add(p)
  }
  walk(value, type, [], 0)
  return out
}

/** Whether list item `x` is the one a `k:` or `v:` element names. */
export const itemMatches = (x: Json, e: Element): boolean => {
  const want = elementJson(e)
  if (want === undefined) return false
  if (e.startsWith("v:")) return deepEqual(x, want)
  if (e.startsWith("k:") && isObject(want)) return isObject(x) && Object.keys(want).every((k) => deepEqual(x[k] ?? null, want[k] ?? null))
  return false
}

/** The value at a path, or undefined when absent. */
export const valueAt = (root: Json, p: Path): Json | undefined => {
  let cur: Json | undefined = root
  for (const e of p) {
    if (cur === undefined) return undefined
    if (e.startsWith("f:")) {
      const k = e.slice(2)
      cur = isObject(cur) && Object.prototype.hasOwnProperty.call(cur, k) ? cur[k] : undefined
    } else if (e.startsWith("k:") || e.startsWith("v:")) {
      cur = isArray(cur) ? cur.find((x) => itemMatches(x, e)) : undefined
    } else if (e.startsWith("i:")) {
      cur = isArray(cur) ? cur[Number(e.slice(2))] : undefined
    } else return undefined
  }
  return cur
}

// ---- fieldsV1 ---------------------------------------------------------------------------------

/** Encodes a set of paths as a fieldsV1 tree (`.` marks a node owned itself that also has children). */
export const toFieldsV1 = (paths: ReadonlySet<string>): JsonObject => {
  const root: MutableJsonObject = {}
  const all = [...paths].map((s) => JSON.parse(s) as Path)
  for (const p of all) {
    let node = root
    for (const e of p) {
      if (!isObject(node[e])) node[e] = {}
      node = node[e] as MutableJsonObject
    }
  }
  // nodes that are owned and have children get "."
  for (const p of all) {
    let node: MutableJsonObject | undefined = root
    for (const e of p) node = isObject(node?.[e]) ? (node[e] as MutableJsonObject) : undefined
    if (node !== undefined && Object.keys(node).some((k) => k !== ".")) node["."] = {}
  }
  return root
}

/** Decodes a fieldsV1 tree into paths. */
export const fromFieldsV1 = (tree: Json | undefined): Set<string> => {
  const out = new Set<string>()
  const walk = (node: Json, p: Path): void => {
    if (!isObject(node)) return
    const keys = Object.keys(node)
    if (p.length > 0 && (keys.length === 0 || keys.includes("."))) out.add(JSON.stringify(p))
    for (const k of keys) if (k !== ".") walk(node[k] ?? {}, [...p, k])
  }
  walk(tree ?? {}, [])
  return out
}

// ---- managedFields entries --------------------------------------------------------------------

export interface Entry {
  readonly manager: string
  readonly operation: "Apply" | "Update"
  readonly apiVersion: string
  readonly time?: string
  readonly subresource?: string
  readonly fields: ReadonlySet<string>
}

export const decodeEntries = (managedFields: Json | undefined): Array<Entry> =>
  (isArray(managedFields) ? managedFields : []).filter(isObject).map((e) => ({
    manager: String(e["manager"] ?? ""),
    operation: e["operation"] === "Apply" ? "Apply" : "Update",
    apiVersion: String(e["apiVersion"] ?? ""),
    ...(typeof e["time"] === "string" ? { time: e["time"] } : {}),
    ...(typeof e["subresource"] === "string" && e["subresource"] !== "" ? { subresource: e["subresource"] } : {}),
    fields: fromFieldsV1(e["fieldsV1"])
  }))

export const encodeEntries = (entries: ReadonlyArray<Entry>): Array<JsonObject> =>
  entries
    .filter((e) => e.fields.size > 0)
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      ...(e.time === undefined ? {} : { time: e.time }),
      fieldsType: "FieldsV1",
      fieldsV1: toFieldsV1(e.fields),
      ...(e.subresource === undefined ? {} : { subresource: e.subresource })
    }))

/** How a conflict names its manager: `"kubectl"`, or `"mgr" using v1 at <time>` for Update entries. */
export const describeManager = (e: Entry): string => {
  let s = JSON.stringify(e.manager)
  if (e.subresource !== undefined) s += ` with subresource ${JSON.stringify(e.subresource)}`
  if (e.operation === "Update") s += e.time === undefined ? ` using ${e.apiVersion}` : ` using ${e.apiVersion} at ${e.time}`
  return s
}
