/**
 * Server-side apply (`application/apply-patch+yaml`) and the field ownership
 * every other write records, as `metadata.managedFields` entries. `apply`
 * merges an applied configuration into the live object with list semantics
 * from the object's type (associative lists by key, sets as unions, atomic
 * lists replaced), removes fields this manager applied before and no longer
 * applies (unless someone else owns them), and reports conflicts with other
 * managers' fields (409, or ownership taken with force). `update` records a
 * non-apply write: the writer owns what it changed, others lose it.
 */
import * as Either from "effect/Either"
import { clone, deepEqual, isArray, isObject, set, type Json, type JsonObject, type MutableJsonObject } from "./Json.js"
import * as MF from "./ManagedFields.js"
import * as Status from "./Status.js"

export interface Conflict {
  /** as kube prints it: `"kubectl-client-side-apply" using v1 at 2026-01-01T00:00:00Z` */
  readonly manager: string
  /** as kube prints it: `.data.a` */
  readonly path: string
}

export interface WriteOptions {
  readonly manager: string
  readonly type: MF.FieldType
  /** the apiVersion of the request, recorded in the entry */
  readonly apiVersion: string
  /** RFC 3339 time recorded in the entry */
  readonly now: string
  /** the main resource of a kind with a status subresource: status is not the writer's */
  readonly ignoreStatus?: boolean
  readonly subresource?: string
}

export interface ApplyOptions extends WriteOptions {
  readonly force: boolean
}

// ---- merging ----------------------------------------------------------------------------------

const mergeValue = (live: Json | undefined, applied: Json, t: MF.FieldType): Json => {
  if (isObject(applied) && t.granular) {
    const out: MutableJsonObject = {}
    if (isObject(live)) for (const [k, v] of Object.entries(live)) set(out, k, v)
    for (const [k, v] of Object.entries(applied)) {
      if (v === null) delete out[k]
      else set(out, k, mergeValue(Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined, v, t.field(k)))
    }
    return out
  }
  if (isArray(applied) && isArray(live) && t.list.kind === "set") {
    return [...live, ...applied.filter((x) => !live.some((y) => deepEqual(x, y)))]
  }
  if (isArray(applied) && isArray(live) && t.list.kind === "map") {
    const keys = t.list.keys
    const out: Array<Json> = [...live]
    for (const item of applied) {
      const k = isObject(item) ? MF.keyElement(item, keys) : undefined
      const at = out.findIndex((x) => isObject(x) && k !== undefined && MF.keyElement(x, keys) === k)
      if (at >= 0) out[at] = mergeValue(out[at], item, t.item())
      else out.push(clone(item))
    }
    return out
  }
  return clone(applied)
}

/** Removes the field at `p` (a map key, an associative item, a set value). */
const removeAt = (root: Json, p: MF.Path): Json => {
  const [head, ...rest] = p
  if (head === undefined) return root
  if (head.startsWith("f:") && isObject(root)) {
    const k = head.slice(2)
    if (!Object.prototype.hasOwnProperty.call(root, k)) return root
    const out: MutableJsonObject = { ...root }
    if (rest.length === 0) delete out[k]
    else set(out, k, removeAt(root[k] ?? null, rest))
    return out
  }
  if (isArray(root) && (head.startsWith("k:") || head.startsWith("v:"))) {
    return rest.length === 0
      ? root.filter((x) => !MF.itemMatches(x, head))
      : root.map((x) => (MF.itemMatches(x, head) ? removeAt(x, rest) : x))
  }
  return root
}

// paths in the sets are JSON arrays this module or fromFieldsV1 wrote
const parse = (s: string): MF.Path => JSON.parse(s) as MF.Path
const isItemSelf = (p: MF.Path): boolean => {
  const last = p[p.length - 1]
  return last !== undefined && (last.startsWith("k:") || last.startsWith("v:"))
}

const sameEntry = (e: MF.Entry, manager: string, operation: MF.Entry["operation"], subresource: string | undefined) =>
  e.manager === manager && e.operation === operation && e.subresource === subresource

const withEntries = (obj: JsonObject, entries: ReadonlyArray<MF.Entry>): JsonObject => {
  const meta: MutableJsonObject = { ...(isObject(obj["metadata"]) ? obj["metadata"] : {}) }
  const encoded = MF.encodeEntries(entries)
  if (encoded.length === 0) delete meta["managedFields"]
  else meta["managedFields"] = encoded
  return { ...obj, metadata: meta }
}

// ---- apply --------------------------------------------------------------------------------------

/**
 * Applies `applied` (the request body) to `live` (undefined: create). Right:
 * the resulting object with its managedFields; Left: the conflicts (answer
 * with `conflictStatus`).
 */
export const apply = (live: JsonObject | undefined, appliedIn: JsonObject, opts: ApplyOptions): Either.Either<JsonObject, ReadonlyArray<Conflict>> => {
  const appliedMeta: MutableJsonObject = { ...(isObject(appliedIn["metadata"]) ? appliedIn["metadata"] : {}) }
  delete appliedMeta["managedFields"]
  const applied: JsonObject = { ...appliedIn, metadata: appliedMeta }
  const base: JsonObject = live ?? {}
  let entries = MF.decodeEntries(isObject(base["metadata"]) ? base["metadata"]["managedFields"] : undefined)
  const fieldOpts = opts.ignoreStatus === undefined ? {} : { ignoreStatus: opts.ignoreStatus }
  const mine = (e: MF.Entry) => sameEntry(e, opts.manager, "Apply", opts.subresource)
  const newSet = MF.fieldsOf(applied, opts.type, fieldOpts)
  const prevSet = entries.find(mine)?.fields ?? new Set<string>()

  // conflicts: fields others own whose value this apply would change
  const conflicts: Array<{ entry: MF.Entry; path: string }> = []
  for (const e of entries) {
    if (mine(e)) continue
    for (const p of newSet) {
      if (!e.fields.has(p)) continue
      const path = parse(p)
      if (isItemSelf(path)) continue
      const was = MF.valueAt(base, path)
      if (was !== undefined && !deepEqual(was, MF.valueAt(applied, path))) conflicts.push({ entry: e, path: p })
    }
  }
  if (conflicts.length > 0 && !opts.force) {
    return Either.left(conflicts.map((c) => ({ manager: MF.describeManager(c.entry), path: MF.pathString(parse(c.path)) })))
  }
  if (conflicts.length > 0) {
    entries = entries.map((e) => {
      const lost = conflicts.filter((c) => c.entry === e).map((c) => c.path)
      return lost.length === 0 ? e : { ...e, fields: new Set([...e.fields].filter((p) => !lost.includes(p))) }
    })
  }

  let result = mergeValue(base, applied, opts.type) as Json
  // fields this manager applied before, no longer applies, and nobody else owns
  const othersOwn = (p: string) => entries.some((e) => !mine(e) && e.fields.has(p))
  // (an empty list or map applied before is a prefix of the items applied now: still applied)
  const prefixes = new Set([...newSet].flatMap((p) => {
    const path = parse(p)
    return path.map((_, i) => JSON.stringify(path.slice(0, i + 1)))
  }))
  const dropped = [...prevSet].filter((p) => !prefixes.has(p) && !othersOwn(p)).map(parse)
  // shallowest first: an associative item goes before its key fields would stop matching it
  for (const p of dropped.sort((a, b) => a.length - b.length)) result = removeAt(result, p)

  const entry: MF.Entry = {
    manager: opts.manager,
    operation: "Apply",
    apiVersion: opts.apiVersion,
    time: opts.now,
    ...(opts.subresource === undefined ? {} : { subresource: opts.subresource }),
    fields: newSet
  }
  const at = entries.findIndex(mine)
  entries = at >= 0 ? entries.map((e, i) => (i === at ? entry : e)) : [...entries, entry]
  return Either.right(withEntries(isObject(result) ? result : {}, entries))
}

// ---- update (every other write) -------------------------------------------------------------------

/**
 * Records a create/update/patch by `manager`: it owns the fields it set or
 * changed, other managers lose those, and removed fields leave every entry.
 * Returns `next` with its managedFields.
 */
export const update = (old: JsonObject | undefined, next: JsonObject, opts: WriteOptions): JsonObject => {
  const fieldOpts = opts.ignoreStatus === undefined ? {} : { ignoreStatus: opts.ignoreStatus }
  const oldMeta = old !== undefined && isObject(old["metadata"]) ? old["metadata"] : {}
  const nextMeta = isObject(next["metadata"]) ? next["metadata"] : {}
  // a client may reset or replace managedFields explicitly; otherwise they carry over
  const sent = nextMeta["managedFields"]
  const baseEntries = isArray(sent) && !deepEqual(sent, oldMeta["managedFields"] ?? null) ? sent : oldMeta["managedFields"]
  let entries = MF.decodeEntries(baseEntries)
  const newSet = MF.fieldsOf(next, opts.type, fieldOpts)
  const oldSet = old === undefined ? new Set<string>() : MF.fieldsOf(old, opts.type, fieldOpts)
  const changed = new Set([...newSet].filter((p) => {
    const path = parse(p)
    const before = old === undefined ? undefined : MF.valueAt(old, path)
    return before === undefined || (!isItemSelf(path) && !deepEqual(before, MF.valueAt(next, path)))
  }))
  const removed = new Set([...oldSet].filter((p) => !newSet.has(p)))
  const mine = (e: MF.Entry) => sameEntry(e, opts.manager, "Update", opts.subresource)
  entries = entries.map((e) => ({
    ...e,
    fields: new Set([...e.fields].filter((p) => !removed.has(p) && (mine(e) || !changed.has(p))))
  }))
  if (changed.size > 0) {
    const at = entries.findIndex(mine)
    const prev = at >= 0 ? entries[at]?.fields ?? new Set<string>() : new Set<string>()
    const entry: MF.Entry = {
      manager: opts.manager,
      operation: "Update",
      apiVersion: opts.apiVersion,
      time: opts.now,
      ...(opts.subresource === undefined ? {} : { subresource: opts.subresource }),
      fields: new Set([...prev, ...changed])
    }
    entries = at >= 0 ? entries.map((e, i) => (i === at ? entry : e)) : [...entries, entry]
  }
  return withEntries(next, entries)
}

// ---- errors ---------------------------------------------------------------------------------------

/** The 409 kube answers for apply conflicts (kubectl prints its message and suggests --force-conflicts). */
export const conflictStatus = (conflicts: ReadonlyArray<Conflict>): Status.Status => {
  const causes = conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${c.manager}`, field: c.path }))
  let message: string
  if (conflicts.length === 1) {
    const c = conflicts[0]
    message = `Apply failed with 1 conflict: conflict with ${c?.manager ?? ""}: ${c?.path ?? ""}`
  } else {
    const byManager = new Map<string, Array<string>>()
    for (const c of conflicts) byManager.set(c.manager, [...(byManager.get(c.manager) ?? []), c.path])
    const lines: Array<string> = []
    for (const m of [...byManager.keys()].sort()) {
      lines.push(`conflicts with ${m}:`)
      for (const p of byManager.get(m) ?? []) lines.push(`- ${p}`)
    }
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join("\n")}`
  }
  return Status.statusFor("Conflict", message, { causes })
}
