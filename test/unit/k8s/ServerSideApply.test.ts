import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import type { JsonObject } from "../../../src/domain/k8s/Json.js"
import * as MF from "../../../src/domain/k8s/ManagedFields.js"
import * as SSA from "../../../src/domain/k8s/ServerSideApply.js"
import * as StrategicSchemas from "../../../src/domain/k8s/StrategicSchemas.js"

const cmType = MF.fromPatchSchema(StrategicSchemas.schemaFor("", "ConfigMap"))
const T1 = "2026-01-01T00:00:00Z"
const T2 = "2026-01-02T00:00:00Z"
const opts = (manager: string, extra: Partial<SSA.ApplyOptions> = {}): SSA.ApplyOptions =>
  ({ manager, force: false, type: cmType, apiVersion: "v1", now: T1, ...extra })
const cm = (data: Record<string, string>, meta: Record<string, unknown> = {}): JsonObject =>
  ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "f1", namespace: "default", ...meta }, data })
const ok = (e: Either.Either<JsonObject, ReadonlyArray<SSA.Conflict>>) => Either.getOrThrow(e)
const mf = (o: JsonObject) => (o["metadata"] as { managedFields?: unknown }).managedFields

describe("server-side apply", () => {
  it("creates with an Apply entry that lists exactly the applied fields", () => {
    const o = ok(SSA.apply(undefined, cm({ a: "1" }, { labels: { app: "x" } }), opts("kubectl")))
    expect(o["data"]).toEqual({ a: "1" })
    expect(mf(o)).toEqual([{
      manager: "kubectl", operation: "Apply", apiVersion: "v1", time: T1, fieldsType: "FieldsV1",
      fieldsV1: { "f:data": { "f:a": {} }, "f:metadata": { "f:labels": { "f:app": {} } } }
    }])
  })

  it("a later apply that drops a field removes it; fields set by others stay", () => {
    const o1 = ok(SSA.apply(undefined, cm({ a: "1", b: "2" }), opts("kubectl")))
    const o2 = SSA.update(o1, { ...o1, data: { a: "1", b: "2", c: "3" } }, { manager: "editor", type: cmType, apiVersion: "v1", now: T2 })
    const o3 = ok(SSA.apply(o2, cm({ a: "1" }), opts("kubectl", { now: T2 })))
    expect(o3["data"]).toEqual({ a: "1", c: "3" })
  })

  it("conflicts with a field another manager set to a different value, in kube's words", () => {
    const created = SSA.update(undefined, cm({ a: "1" }), { manager: "kubectl-client-side-apply", type: cmType, apiVersion: "v1", now: T1 })
    const r = SSA.apply(created, cm({ a: "2" }), opts("kubectl"))
    expect(Either.isLeft(r)).toBe(true)
    const conflicts = Either.getLeft(r).pipe((o) => (o._tag === "Some" ? o.value : []))
    expect(conflicts).toEqual([{ manager: `"kubectl-client-side-apply" using v1 at ${T1}`, path: ".data.a" }])
    const s = SSA.conflictStatus(conflicts)
    expect([s.code, s.reason]).toEqual([409, "Conflict"])
    expect(s.message).toBe(`Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using v1 at ${T1}: .data.a`)
    expect(s.details?.causes).toEqual([{ reason: "FieldManagerConflict", message: `conflict with "kubectl-client-side-apply" using v1 at ${T1}`, field: ".data.a" }])
  })

  it("same value: no conflict, shared ownership; force takes the field", () => {
    const created = SSA.update(undefined, cm({ a: "1", b: "1" }), { manager: "other", type: cmType, apiVersion: "v1", now: T1 })
    const shared = ok(SSA.apply(created, cm({ a: "1" }), opts("kubectl")))
    expect((mf(shared) as Array<{ manager: string }>).map((e) => e.manager)).toEqual(["other", "kubectl"])
    const forced = ok(SSA.apply(created, cm({ b: "2" }), opts("kubectl", { force: true })))
    expect(forced["data"]).toEqual({ a: "1", b: "2" })
    const entries = MF.decodeEntries(mf(forced) as never)
    expect([...(entries.find((e) => e.manager === "other")?.fields ?? [])].map((p) => MF.pathString(JSON.parse(p)))).toEqual([".data.a"])
  })

  it("two conflicting managers are listed per manager", () => {
    const s = SSA.conflictStatus([{ manager: '"b"', path: ".data.x" }, { manager: '"a"', path: ".data.y" }, { manager: '"b"', path: ".data.z" }])
    expect(s.message).toBe('Apply failed with 3 conflicts: conflicts with "a":\n- .data.y\nconflicts with "b":\n- .data.x\n- .data.z')
  })

  it("finalizers are a set and ownerReferences an associative list (built-in metadata)", () => {
    const live = ok(SSA.apply(undefined, cm({}, { finalizers: ["a.io/x"], ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "o", uid: "u1" }] }), opts("one")))
    const both = ok(SSA.apply(live, cm({}, { finalizers: ["b.io/y"], ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "p", uid: "u2" }] }), opts("two")))
    const meta = both["metadata"] as { finalizers: unknown; ownerReferences: Array<{ uid: string }> }
    expect(meta.finalizers).toEqual(["a.io/x", "b.io/y"])
    expect(meta.ownerReferences.map((r) => r.uid)).toEqual(["u1", "u2"])
    const fields = MF.decodeEntries(mf(both) as never).map((e) => [...e.fields].map((p) => MF.pathString(JSON.parse(p))).sort())
    expect(fields[1]).toEqual([
      ".data", '.metadata.finalizers[="b.io/y"]', '.metadata.ownerReferences[uid="u2"]', '.metadata.ownerReferences[uid="u2"].apiVersion',
      '.metadata.ownerReferences[uid="u2"].kind', '.metadata.ownerReferences[uid="u2"].name', '.metadata.ownerReferences[uid="u2"].uid'
    ])
    // "two" drops its finalizer: only its own goes
    const after = ok(SSA.apply(both, cm({}), opts("two")))
    expect((after["metadata"] as { finalizers: unknown }).finalizers).toEqual(["a.io/x"])
    expect((after["metadata"] as { ownerReferences: Array<{ uid: string }> }).ownerReferences.map((r) => r.uid)).toEqual(["u1"])
  })

  it("CRD lists follow x-kubernetes-list-type (atomic by default)", () => {
    const schema = {
      type: "object",
      properties: {
        spec: { type: "object", properties: { tags: { type: "array", items: { type: "string" } }, ports: { type: "array", "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["port"], items: { type: "object", properties: { port: { type: "integer" }, name: { type: "string" } } } } } }
      }
    }
    const t = MF.fromStructural(schema)
    const w = (spec: unknown): JsonObject => ({ apiVersion: "example.com/v1", kind: "Widget", metadata: { name: "w" }, spec } as JsonObject)
    const a = ok(SSA.apply(undefined, w({ tags: ["x"], ports: [{ port: 80, name: "http" }] }), opts("a", { type: t, apiVersion: "example.com/v1" })))
    const b = ok(SSA.apply(a, w({ ports: [{ port: 443, name: "https" }] }), opts("b", { type: t, apiVersion: "example.com/v1" })))
    expect(b["spec"]).toEqual({ tags: ["x"], ports: [{ port: 80, name: "http" }, { port: 443, name: "https" }] })
    const c = SSA.apply(b, w({ tags: ["y"] }), opts("b", { type: t, apiVersion: "example.com/v1" }))
    expect(Either.getLeft(c).pipe((o) => (o._tag === "Some" ? o.value : []))).toEqual([{ manager: '"a"', path: ".spec.tags" }])
  })
})

describe("update ownership", () => {
  it("the creator owns every field; a later writer takes what it changes", () => {
    const u = { type: cmType, apiVersion: "v1" }
    const created = SSA.update(undefined, cm({ a: "1", b: "2" }, { labels: { x: "1" } }), { ...u, manager: "kubectl-create", now: T1 })
    expect(mf(created)).toEqual([{
      manager: "kubectl-create", operation: "Update", apiVersion: "v1", time: T1, fieldsType: "FieldsV1",
      fieldsV1: { "f:data": { "f:a": {}, "f:b": {} }, "f:metadata": { "f:labels": { "f:x": {} } } }
    }])
    const edited = SSA.update(created, { ...created, data: { a: "9" } }, { ...u, manager: "kubectl-edit", now: T2 })
    const entries = MF.decodeEntries(mf(edited) as never)
    const paths = (m: string) => [...(entries.find((e) => e.manager === m)?.fields ?? [])].map((p) => MF.pathString(JSON.parse(p))).sort()
    expect(paths("kubectl-create")).toEqual([".metadata.labels.x"])
    expect(paths("kubectl-edit")).toEqual([".data.a"])
  })

  it("status is not the main resource's business when asked", () => {
    const o = SSA.update(undefined, { apiVersion: "example.com/v1", kind: "W", metadata: { name: "w" }, spec: { a: 1 }, status: { b: 2 } },
      { manager: "m", type: MF.deduced, apiVersion: "example.com/v1", now: T1, ignoreStatus: true })
    expect((mf(o) as Array<{ fieldsV1: unknown }>)[0]?.fieldsV1).toEqual({ "f:spec": { "f:a": {} } })
  })
})
