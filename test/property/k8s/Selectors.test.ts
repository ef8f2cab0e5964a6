import { assert, it } from "@effect/vitest"
import { Either, FastCheck as fc } from "effect"
import * as FieldSelector from "../../../src/domain/k8s/FieldSelector.js"
import * as LabelSelector from "../../../src/domain/k8s/LabelSelector.js"

const alnum = fc.constantFrom(..."abcxyzABZ019")
const inner = fc.constantFrom(..."abz09-_.")
const labelValue = fc.oneof(
  fc.constant(""),
  alnum.map(String),
  fc.tuple(alnum, fc.array(inner, { maxLength: 6 }), alnum).map(([a, m, b]) => a + m.join("") + b)
)
const labelKey = fc.tuple(
  fc.option(fc.constantFrom("example.com", "app.kubernetes.io", "a-b.c"), { nil: undefined }),
  labelValue.filter((v) => v !== "")
).map(([p, n]) => (p === undefined ? n : `${p}/${n}`))

const requirement: fc.Arbitrary<LabelSelector.Requirement> = fc.oneof(
  fc.tuple(labelKey, fc.constantFrom("=", "==", "!=") as fc.Arbitrary<LabelSelector.Operator>, labelValue)
    .map(([key, operator, v]) => ({ key, operator, values: [v] })),
  fc.tuple(labelKey, fc.constantFrom("in", "notin") as fc.Arbitrary<LabelSelector.Operator>, fc.uniqueArray(labelValue.filter((v) => v !== ""), { minLength: 1, maxLength: 3 }))
    .map(([key, operator, vs]) => ({ key, operator, values: [...vs].sort() })),
  fc.tuple(labelKey, fc.constantFrom("exists", "!") as fc.Arbitrary<LabelSelector.Operator>).map(([key, operator]) => ({ key, operator, values: [] }))
)

const selector = fc.array(requirement, { maxLength: 5 }).map((rs) =>
  [...rs].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)))

it.prop("label selector: print then parse gives the same selector", [selector], ([s]) => {
  assert.deepStrictEqual(LabelSelector.parse(LabelSelector.toString(s)), Either.right(s))
})

it.prop("label selector: != is the negation of =", [labelKey, labelValue, fc.dictionary(labelKey, labelValue, { maxKeys: 3 })], ([k, v, labels]) => {
  const eq = Either.getOrThrow(LabelSelector.parse(`${k}=${v}`))
  const ne = Either.getOrThrow(LabelSelector.parse(`${k}!=${v}`))
  assert.strictEqual(LabelSelector.matches(eq, labels), !LabelSelector.matches(ne, labels))
})

it.prop("field selector: escaped values round-trip", [fc.string({ maxLength: 12 })], ([v]) => {
  const s = Either.getOrThrow(FieldSelector.parse(`metadata.name=${FieldSelector.escapeValue(v)}`))
  assert.isTrue(FieldSelector.matches(s, () => v))
})
