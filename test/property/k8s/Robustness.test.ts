/**
 * Request input reaches these parsers unfiltered (query strings, bodies, CRD
 * schemas): whatever it is, they must answer Left/Right, never throw.
 */
import { assert, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as Cel from "../../../src/domain/k8s/CelRules.js"
import * as FieldSelector from "../../../src/domain/k8s/FieldSelector.js"
import * as JsonPatch from "../../../src/domain/k8s/JsonPatch.js"
import * as JsonPath from "../../../src/domain/k8s/JsonPath.js"
import type { Json } from "../../../src/domain/k8s/Json.js"
import * as LabelSelector from "../../../src/domain/k8s/LabelSelector.js"
import * as MF from "../../../src/domain/k8s/ManagedFields.js"
import * as Protobuf from "../../../src/domain/k8s/Protobuf.js"
import * as SSA from "../../../src/domain/k8s/ServerSideApply.js"
import * as SMP from "../../../src/domain/k8s/StrategicMergePatch.js"
import * as Schemas from "../../../src/domain/k8s/StrategicSchemas.js"
import * as SS from "../../../src/domain/k8s/StructuralSchema.js"

const selectorish = fc.stringOf(fc.constantFrom(..."ab=!,() in notin x-_./\\<>0"), { maxLength: 30 })
const json = fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<Json>

it.prop("label and field selector parsers never throw", [fc.oneof(selectorish, fc.string())], ([s]) => {
  assert.isTrue(Either.isEither(LabelSelector.parse(s)))
  assert.isTrue(Either.isEither(FieldSelector.parse(s)))
})

it.prop("JSONPath and CEL parsers never throw", [fc.oneof(fc.string(), fc.stringOf(fc.constantFrom(..."self.oldSelf()[]'=<>!&|has size matches 01"), { maxLength: 40 }))], ([s]) => {
  assert.isTrue(Either.isEither(JsonPath.parse(s)))
  const c = Cel.compile(s)
  assert.isTrue(Either.isEither(c))
  if (Either.isRight(c)) assert.isTrue(Either.isEither(Cel.evaluate(c.right, { a: 1 }, { a: 2 })))
})

it.prop("protobuf decoding of arbitrary bytes after the magic never throws", [fc.uint8Array({ maxLength: 200 })], ([b]) => {
  assert.isTrue(Either.isEither(Protobuf.decode(new Uint8Array([...Protobuf.magic, ...b]))))
})

it.prop("patches of arbitrary JSON never throw", [json, json], ([doc, patch]) => {
  assert.isTrue(Either.isEither(JsonPatch.applyBody(doc, patch)))
  assert.isTrue(Either.isEither(SMP.apply(doc, patch, Schemas.schemaFor("", "Pod"))))
})

const schema = { type: "object", properties: { spec: { type: "object", required: ["a"], properties: { a: { type: "integer", default: 1 }, l: { type: "array", items: { type: "string", maxLength: 3 } }, m: { type: "object", additionalProperties: { type: "string" } } } } } }

it.prop("structural schema: pruning leaves no unknown fields, defaulting is idempotent, nothing throws", [json], ([v]) => {
  const o = { apiVersion: "x/v1", kind: "X", metadata: { name: "n" }, spec: v }
  const pruned = SS.prune(schema, o)
  assert.deepStrictEqual(SS.unknownFields(schema, pruned), [])
  const once = SS.applyDefaults(schema, pruned)
  assert.deepStrictEqual(SS.applyDefaults(schema, once), once)
  assert.isTrue(Array.isArray(SS.validate(schema, once)))
  assert.isTrue(Array.isArray(SS.evaluateRules(schema, once, o)))
})

it.prop("server-side apply over arbitrary managedFields and bodies never throws", [json, json], ([managedFields, body]) => {
  const live = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", managedFields }, data: { a: "1" } }
  const applied = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x" }, data: typeof body === "object" && body !== null && !Array.isArray(body) ? body : { b: "2" } }
  const type = MF.fromPatchSchema(Schemas.schemaFor("", "ConfigMap"))
  const opts = { manager: "m", force: false, type, apiVersion: "v1", now: "2026-01-01T00:00:00Z" }
  assert.isTrue(Either.isEither(SSA.apply(live as never, applied as never, opts)))
  assert.isObject(SSA.update(live as never, applied as never, opts))
})

it.prop("managedFields with garbage element keys decode without throwing", [fc.dictionary(fc.string(), fc.constant({}), { maxKeys: 4 })], ([tree]) => {
  const paths = MF.fromFieldsV1({ "f:metadata": { "f:finalizers": tree } })
  for (const p of paths) assert.isString(MF.pathString(JSON.parse(p)))
  assert.isTrue(Either.isEither(SSA.apply(
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", finalizers: ["a"], managedFields: [{ manager: "o", operation: "Update", apiVersion: "v1", fieldsType: "FieldsV1", fieldsV1: { "f:metadata": { "f:finalizers": tree } } }] } },
    { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "x", finalizers: ["b"] } },
    { manager: "m", force: false, type: MF.fromPatchSchema(Schemas.schemaFor("", "ConfigMap")), apiVersion: "v1", now: "t" }
  )))
})
