import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as FieldSelector from "../../../src/domain/k8s/FieldSelector.js"
import * as LabelSelector from "../../../src/domain/k8s/LabelSelector.js"

const parsed = (s: string) => Either.getOrThrow(LabelSelector.parse(s))
const sel = (s: string, labels: Record<string, string>) => LabelSelector.matches(parsed(s), labels)
const err = (s: string) => Either.match(LabelSelector.parse(s), { onLeft: (e) => e, onRight: () => "parsed" })

describe("LabelSelector", () => {
  it("equality and inequality", () => {
    expect(sel("a=b", { a: "b" })).toBe(true)
    expect(sel("a==b", { a: "b" })).toBe(true)
    expect(sel("a=b", { a: "c" })).toBe(false)
    expect(sel("a!=b", { a: "c" })).toBe(true)
    expect(sel("a!=b", {})).toBe(true)
    expect(sel("a!=b", { a: "b" })).toBe(false)
    expect(sel("a=", { a: "" })).toBe(true)
    expect(sel("a=", {})).toBe(false)
  })

  it("set operators, exists, does not exist, and conjunctions", () => {
    expect(sel("env in (prod, dev)", { env: "dev" })).toBe(true)
    expect(sel("env in (prod,dev)", { env: "qa" })).toBe(false)
    expect(sel("env notin (prod)", {})).toBe(true)
    expect(sel("env notin (prod)", { env: "prod" })).toBe(false)
    expect(sel("env", { env: "" })).toBe(true)
    expect(sel("!env", { env: "x" })).toBe(false)
    expect(sel("!env", {})).toBe(true)
    expect(sel("app.kubernetes.io/name=rdd,tier!=db, !legacy", { "app.kubernetes.io/name": "rdd", tier: "web" })).toBe(true)
    expect(sel("app.kubernetes.io/name=rdd,tier!=db,!legacy", { "app.kubernetes.io/name": "rdd", legacy: "1" })).toBe(false)
    expect(sel("", { a: "b" })).toBe(true)
  })

  it("numeric gt/lt", () => {
    expect(sel("n>3", { n: "4" })).toBe(true)
    expect(sel("n<3", { n: "4" })).toBe(false)
    expect(sel("n>3", { n: "x" })).toBe(false)
    expect(err("n>x")).toBe("for 'Gt', 'Lt' operators, the value must be an integer")
  })

  it("prints the canonical form, sorted by key with sorted sets", () => {
    expect(LabelSelector.toString(parsed("z=1, b in (y,x,y), !a, c"))).toBe("!a,b in (x,y),c,z=1")
  })

  it("reports Go's parser messages", () => {
    expect(err("env IN (a)")).toBe("found 'IN', expected: in, notin, =, ==, !=, gt, lt")
    expect(err("a=b,")).toBe("found '', expected: identifier after ','")
    expect(err(",a")).toBe("found ',', expected: !, identifier, or 'end of string'")
    expect(err("a in ()")).toBe("for 'in', 'notin' operators, values set can't be empty")
    expect(err("a=b c")).toBe("found 'c', expected: ',' or 'end of string'")
    expect(err("a in b")).toBe("found 'b' expected: '('")
    expect(err("-x=1")).toMatch(/^<nil>: Invalid value: "-x": name part must consist of alphanumeric/)
    expect(err("a=-x")).toMatch(/^<nil>: Invalid value: "-x": a valid label must be an empty string/)
  })

  it("converts metav1.LabelSelector objects", () => {
    const s = Either.getOrThrow(LabelSelector.fromLabelSelector({
      matchLabels: { app: "web" },
      matchExpressions: [{ key: "tier", operator: "In", values: ["a", "b"] }, { key: "old", operator: "DoesNotExist" }]
    }))
    expect(LabelSelector.toString(s)).toBe("app=web,!old,tier in (a,b)")
    expect(LabelSelector.matches(s, { app: "web", tier: "b" })).toBe(true)
    expect(Either.getOrThrow(LabelSelector.fromLabelSelector(null))).toEqual([])
    expect(Either.isLeft(LabelSelector.fromLabelSelector({ matchExpressions: [{ key: "a", operator: "Gt", values: ["1"] }] }))).toBe(true)
  })
})

describe("FieldSelector", () => {
  const look = (o: Record<string, string>) => (p: string) => o[p]
  const fsel = (s: string) => Either.getOrThrow(FieldSelector.parse(s))

  it("matches =, == and != with absent fields as empty", () => {
    const o = look({ "metadata.name": "x", "metadata.namespace": "default" })
    expect(FieldSelector.matches(fsel("metadata.name=x"), o)).toBe(true)
    expect(FieldSelector.matches(fsel("metadata.name==x,metadata.namespace=default"), o)).toBe(true)
    expect(FieldSelector.matches(fsel("metadata.name!=x"), o)).toBe(false)
    expect(FieldSelector.matches(fsel("involvedObject.uid="), o)).toBe(true)
    expect(FieldSelector.matches(fsel(""), o)).toBe(true)
  })

  it("parses what kubectl describe sends", () => {
    const s = fsel("involvedObject.name=x,involvedObject.namespace=default,involvedObject.kind=ConfigMap,involvedObject.uid=0b1c")
    expect(FieldSelector.fields(s)).toEqual(["involvedObject.kind", "involvedObject.name", "involvedObject.namespace", "involvedObject.uid"])
    expect(FieldSelector.requiresExactMatch(fsel("metadata.name=w1"), "metadata.name")).toBe("w1")
  })

  it("escapes and errors", () => {
    const s = fsel("a=x\\,y\\=z")
    expect(s).toEqual([{ field: "a", operator: "=", value: "x,y=z" }])
    expect(FieldSelector.toString(s)).toBe("a=x\\,y\\=z")
    expect(FieldSelector.parse("nope")).toEqual(Either.left("invalid selector: 'nope'; can't understand 'nope'"))
    expect(FieldSelector.parse("a=\\q")).toEqual(Either.left("invalid escape sequence: \\q"))
    expect(FieldSelector.parse("a=b=c")).toEqual(Either.left("unescaped character '='"))
  })
})

describe("FieldSelector errors", () => {
  it("name unsupported fields like the apiserver", () => {
    expect(FieldSelector.notKnownMessage("spec.x")).toBe('"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"')
    expect(FieldSelector.notSupportedMessage("spec.x")).toBe("field label not supported: spec.x")
  })
})
