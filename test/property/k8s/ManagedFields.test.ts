import { assert, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as MF from "../../../src/domain/k8s/ManagedFields.js"

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
