import { assert, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as JsonPatch from "../../../src/domain/k8s/JsonPatch.js"
import type { Json } from "../../../src/domain/k8s/Json.js"
import * as MergePatch from "../../../src/domain/k8s/MergePatch.js"
import * as StrategicMergePatch from "../../../src/domain/k8s/StrategicMergePatch.js"
import * as StrategicSchemas from "../../../src/domain/k8s/StrategicSchemas.js"

const key = fc.constantFrom("a", "b", "c", "d", "x/y", "m~n")
const scalar: fc.Arbitrary<Json> = fc.oneof(fc.boolean(), fc.integer({ min: -5, max: 5 }), fc.constantFrom("", "s", "t"))

/** JSON without nulls (merge patches cannot set a null inside an object). */
const { tree } = fc.letrec<{ tree: Json }>((tie) => ({
  tree: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    scalar,
    fc.array(tie("tree"), { maxLength: 3 }),
    fc.dictionary(key, tie("tree"), { maxKeys: 4 })
  )
}))

const obj = fc.dictionary(key, tree, { maxKeys: 5 })

it.prop("merge patch: apply(a, diff(a, b)) == b", [obj, obj], ([a, b]) => {
  assert.deepStrictEqual(MergePatch.apply(a, MergePatch.diff(a, b)), b)
})

it.prop("merge patch: diff of a document with itself is empty and applying it changes nothing", [obj], ([a]) => {
  assert.deepStrictEqual(MergePatch.diff(a, a), {})
  assert.deepStrictEqual(MergePatch.apply(a, {}), a)
})

/** All pointers into a document, with the value found there. */
const pointers = (doc: Json, prefix: ReadonlyArray<string> = []): Array<[ReadonlyArray<string>, Json]> => {
  const out: Array<[ReadonlyArray<string>, Json]> = [[prefix, doc]]
  if (Array.isArray(doc)) doc.forEach((v, i) => out.push(...pointers(v, [...prefix, String(i)])))
  else if (doc !== null && typeof doc === "object") {
    for (const [k, v] of Object.entries(doc)) out.push(...pointers(v, [...prefix, k]))
  }
  return out
}

it.prop("json patch: test succeeds exactly on the value at the pointer", [obj, tree, fc.nat()], ([doc, other, n]) => {
  const all = pointers(doc)
  const [path, value] = all[n % all.length] ?? [[], doc]
  const p = JsonPatch.formatPointer(path)
  assert.isTrue(Either.isRight(JsonPatch.apply(doc, [{ op: "test", path: p, value }])))
  const same = JSON.stringify(value) === JSON.stringify(other)
  const sameStructurally = Either.isRight(JsonPatch.apply(other, [{ op: "test", path: "", value }]))
  assert.strictEqual(Either.isRight(JsonPatch.apply(doc, [{ op: "test", path: p, value: other }])), sameStructurally || same)
})

it.prop("json patch: add then remove restores the document", [obj, key, tree], ([doc, k, v]) => {
  if (Object.prototype.hasOwnProperty.call(doc, k)) return
  const p = JsonPatch.formatPointer([k])
  assert.deepStrictEqual(JsonPatch.apply(doc, [{ op: "add", path: p, value: v }, { op: "remove", path: p }]), Either.right(doc))
})

it.prop("strategic merge without a schema is a JSON merge patch (for patches without directives)", [obj, obj], ([a, b]) => {
  const patch = MergePatch.diff(a, b)
  assert.deepStrictEqual(StrategicMergePatch.apply(a, patch), Either.right(MergePatch.apply(a, patch)))
})

it.prop("strategic merge of a merge-list of scalars is a set union, then deletions", [
  fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e"), { maxLength: 5 }),
  fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e"), { maxLength: 5 }),
  fc.uniqueArray(fc.constantFrom("a", "b", "c", "d", "e"), { maxLength: 2 })
], ([live, add, del]) => {
  const out = Either.getOrThrow(StrategicMergePatch.apply(
    { metadata: { finalizers: live } },
    { metadata: { finalizers: add, "$deleteFromPrimitiveList/finalizers": del } },
    StrategicSchemas.schemaFor("", "ConfigMap")
  )) as { metadata: { finalizers: ReadonlyArray<string> } }
  const want = new Set([...live, ...add].filter((x) => !del.includes(x)))
  assert.deepStrictEqual(new Set(out.metadata.finalizers), want)
  assert.strictEqual(out.metadata.finalizers.length, want.size)
})

it.prop("strategic merge without a schema equals a JSON merge patch even with nulls inside replaced lists", [obj, fc.array(fc.constantFrom<Json>(null, 1, { a: null }), { maxLength: 3 })], ([a, list]) => {
  const live = { ...a, l: [0] }
  const patch = { l: list }
  assert.deepStrictEqual(StrategicMergePatch.apply(live, patch), Either.right(MergePatch.apply(live, patch)))
})
