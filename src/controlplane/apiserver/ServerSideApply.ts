/**
 * Server-side apply (`application/apply-patch+yaml`), simplified: each apply
 * manager's field set is recorded in `metadata.managedFields` (FieldsV1 form,
 * lists atomic). A new apply by the same manager removes the fields it applied
 * before and no longer applies (unless another apply manager also owns them);
 * applying a field another apply manager owns with a different value is a 409
 * conflict (`Apply failed with N conflict(s)`), or, with `force=true`, takes the
 * field over. Updates by non-apply writers are not tracked.
 */
import * as Either from "effect/Either"
import type { KubeObject } from "../../domain/KubeObject.js"
import { deepEqual, isObject, type Json } from "../../domain/k8s/Json.js"
import * as MergePatch from "../../domain/k8s/MergePatch.js"
import * as Status from "../../domain/k8s/Status.js"
import * as ApiError from "./ApiError.js"

/** `{"f:data": {"f:a": {}}}`: a tree of owned fields; a node without children is a leaf. */
export type FieldSet = { readonly [key: string]: FieldSet }

interface ManagedFieldsEntry {
  readonly manager: string
  readonly operation: string
  readonly apiVersion?: string
  readonly time?: string
  readonly fieldsType?: string
  readonly fieldsV1?: FieldSet
}

const systemMeta = new Set(["name", "namespace", "uid", "resourceVersion", "generation", "creationTimestamp", "managedFields", "selfLink"])

const setOf = (v: Json): FieldSet => {
  if (!isObject(v)) return {}
  const out: Record<string, FieldSet> = {}
  for (const [k, x] of Object.entries(v)) if (x !== null) out[`f:${k}`] = setOf(x)
  return out
}

/** The fields an applied configuration sets. */
export const fieldsOf = (applied: Json): FieldSet => {
  if (!isObject(applied)) return {}
  const out: Record<string, FieldSet> = {}
  for (const [k, v] of Object.entries(applied)) {
    if (k === "apiVersion" || k === "kind" || v === null) continue
    if (k === "metadata" && isObject(v)) {
      const meta: Record<string, FieldSet> = {}
      for (const [mk, mv] of Object.entries(v)) if (!systemMeta.has(mk) && mv !== null) meta[`f:${mk}`] = setOf(mv)
      if (Object.keys(meta).length > 0) out["f:metadata"] = meta
      continue
    }
    out[`f:${k}`] = setOf(v)
  }
  return out
}

const leaves = (s: FieldSet, prefix: ReadonlyArray<string> = []): Array<ReadonlyArray<string>> =>
  Object.entries(s).flatMap(([k, sub]) => {
    const path = [...prefix, k.slice(2)]
    return Object.keys(sub).length === 0 ? [path] : leaves(sub, path)
  })

const has = (s: FieldSet, path: ReadonlyArray<string>): boolean => {
  let node: FieldSet | undefined = s
  for (const p of path) {
    node = node[`f:${p}`]
    if (node === undefined) return false
  }
  return true
}

const without = (s: FieldSet, path: ReadonlyArray<string>): FieldSet => {
  const [head, ...rest] = path
  if (head === undefined) return s
  const key = `f:${head}`
  const child = s[key]
  if (child === undefined) return s
  const { [key]: _drop, ...others } = s
  if (rest.length === 0) return others
  const pruned = without(child, rest)
  return Object.keys(pruned).length === 0 ? others : { ...others, [key]: pruned }
}

const valueAt = (v: Json | undefined, path: ReadonlyArray<string>): Json | undefined => {
  let node = v
  for (const p of path) {
    if (!isObject(node)) return undefined
    node = node[p]
  }
  return node
}

const removeAt = (v: Json, path: ReadonlyArray<string>): Json => {
  const [head, ...rest] = path
  if (head === undefined || !isObject(v) || !(head in v)) return v
  if (rest.length === 0) {
    const { [head]: _drop, ...others } = v
    return others
  }
  return { ...v, [head]: removeAt(v[head] as Json, rest) }
}

const fieldText = (path: ReadonlyArray<string>) => `.${path.join(".")}`

export interface ApplyRequest {
  readonly gr: Status.GroupResource
  readonly name: string
  readonly manager: string
  readonly force: boolean
  readonly apiVersion: string
  readonly now: string
}

/** The object after applying `applied` over `current` (undefined: a create) as `manager`. */
export const apply = (current: KubeObject | undefined, applied: Json, r: ApplyRequest): Either.Either<KubeObject, ApiError.ApiError> => {
  const entries = ((current?.metadata as { managedFields?: ReadonlyArray<ManagedFieldsEntry> } | undefined)?.managedFields ?? [])
  const mine = entries.find((e) => e.manager === r.manager && e.operation === "Apply")
  const others = entries.filter((e) => e !== mine)
  const next = fieldsOf(applied)
  const conflicts: Array<{ manager: string; path: ReadonlyArray<string> }> = []
  const transferred = others.map((e) => {
    if (e.operation !== "Apply" || e.fieldsV1 === undefined) return e
    let owned = e.fieldsV1
    for (const path of leaves(next)) {
      if (!has(owned, path)) continue
      if (deepEqual(valueAt(current as unknown as Json, path), valueAt(applied, path))) continue
      if (r.force) owned = without(owned, path)
      else conflicts.push({ manager: e.manager, path })
    }
    return { ...e, fieldsV1: owned }
  })
  if (conflicts.length > 0) {
    const message = `Apply failed with ${conflicts.length} conflict${conflicts.length === 1 ? "" : "s"}: ${
      conflicts.map((c) => `conflict with ${JSON.stringify(c.manager)}: ${fieldText(c.path)}`).join("; ")
    }`
    return Either.left(ApiError.of(Status.statusFor("Conflict", message, {
      name: r.name,
      group: r.gr.group,
      kind: r.gr.resource,
      causes: conflicts.map((c) => ({ reason: "FieldManagerConflict", message: `conflict with ${JSON.stringify(c.manager)}`, field: fieldText(c.path) }))
    })))
  }
  let merged = MergePatch.apply((current ?? {}) as unknown as Json, applied)
  if (mine?.fieldsV1 !== undefined) {
    for (const path of leaves(mine.fieldsV1)) {
      const ownedElsewhere = transferred.some((e) => e.operation === "Apply" && e.fieldsV1 !== undefined && has(e.fieldsV1, path))
      if (!has(next, path) && !ownedElsewhere) merged = removeAt(merged, path)
    }
  }
  const entry: ManagedFieldsEntry = { manager: r.manager, operation: "Apply", apiVersion: r.apiVersion, time: r.now, fieldsType: "FieldsV1", fieldsV1: next }
  const obj = merged as unknown as KubeObject
  return Either.right({ ...obj, metadata: { ...obj.metadata, managedFields: [...transferred, entry] } as KubeObject["metadata"] })
}
