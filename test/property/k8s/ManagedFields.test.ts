import { assert, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import type { JsonObject } from "../../../src/domain/k8s/Json.js"
import * as MF from "../../../src/domain/k8s/ManagedFields.js"
import * as SSA from "../../../src/domain/k8s/ServerSideApply.js"
import * as StrategicSchemas from "../../../src/domain/k8s/StrategicSchemas.js"

const element = fc.oneof(
  fc.constantFrom("a", "b", "c.d", "e/f").map((k) => `f:${k}`),
  fc.constantFrom('{"name":"x"}', '{"type":"Ready"}').map((k) => `k:${k}`),
  fc.constantFrom('"v1"', "2").map((v) => `v:${v}`),
  fc.nat(3).map((i) => `i:${i}`)
)
const paths = fc.uniqueArray(fc.array(element, { minLength: 1, maxLength: 4 }).map((p) => JSON.stringify(p)), { maxLength: 8 })

it.prop("fieldsV1 encoding round-trips any set of paths", [paths], ([ps]) => {
  const set = new Set(ps)
  assert.deepStrictEqual(MF.fromFieldsV1(MF.toFieldsV1(set)), set)
})

// ---- server-side apply properties ----
const key = fc.constantFrom("a", "b", "c", "d")
const data = fc.dictionary(key, fc.constantFrom("1", "2", "3"), { maxKeys: 4 })
const finalizers = fc.uniqueArray(fc.constantFrom("x.io/a", "x.io/b", "x.io/c"), { maxLength: 3 })
const cm = (d: Record<string, string>, f: ReadonlyArray<string>): JsonObject =>
  ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "p", finalizers: f }, data: d })
const type = MF.fromPatchSchema(StrategicSchemas.schemaFor("", "ConfigMap"))
const opts = (manager: string): SSA.ApplyOptions => ({ manager, force: false, type, apiVersion: "v1", now: "2026-01-01T00:00:00Z" })

it.prop("one manager: the result carries exactly what was last applied, and re-applying changes nothing", [data, finalizers, data, finalizers], ([d1, f1, d2, f2]) => {
  const first = Either.getOrThrow(SSA.apply(undefined, cm(d1, f1), opts("m")))
  const second = Either.getOrThrow(SSA.apply(first, cm(d2, f2), opts("m")))
  assert.deepStrictEqual(second["data"], d2)
  assert.deepStrictEqual(new Set((second["metadata"] as { finalizers: ReadonlyArray<string> }).finalizers), new Set(f2))
  assert.deepStrictEqual(Either.getOrThrow(SSA.apply(second, cm(d2, f2), opts("m"))), second)
})

it.prop("two managers: an apply never conflicts with itself and conflicts exactly on the other's differing values", [data, data], ([d1, d2]) => {
  const first = Either.getOrThrow(SSA.apply(undefined, cm(d1, []), opts("one")))
  const r = SSA.apply(first, cm(d2, []), opts("two"))
  const differing = Object.keys(d2).filter((k) => k in d1 && d1[k] !== d2[k]).sort()
  if (differing.length === 0) {
    assert.isTrue(Either.isRight(r))
  } else {
    assert.deepStrictEqual(Either.isLeft(r) ? r.left.map((c) => c.path).sort() : [], differing.map((k) => `.data.${k}`))
  }
})
