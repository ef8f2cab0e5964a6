import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as JsonPatch from "../../../src/domain/k8s/JsonPatch.js"
import * as MergePatch from "../../../src/domain/k8s/MergePatch.js"

describe("MergePatch (RFC 7386)", () => {
  it("the RFC's examples", () => {
    const cases: Array<[unknown, unknown, unknown]> = [
      [{ a: "b" }, { a: "c" }, { a: "c" }],
      [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
      [{ a: "b" }, { a: null }, {}],
      [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
      [{ a: ["b"] }, { a: "c" }, { a: "c" }],
      [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
      [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
      [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
      [["a", "b"], ["c", "d"], ["c", "d"]],
      [{ a: "b" }, ["c"], ["c"]],
      [{ a: "foo" }, null, null],
      [{ a: "foo" }, "bar", "bar"],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: "b", c: null }, { a: "b" }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }]
    ]
    for (const [t, p, r] of cases) expect(MergePatch.apply(t as never, p as never)).toEqual(r)
  })

  it("kubectl label removal", () => {
    expect(MergePatch.apply({ metadata: { name: "x", labels: { x: "1", y: "2" } } }, { metadata: { labels: { x: null } } }))
      .toEqual({ metadata: { name: "x", labels: { y: "2" } } })
  })

  it("does not mutate its inputs and survives __proto__ keys", () => {
    const t = { a: { b: 1 } }
    const p = JSON.parse('{"a":{"c":2},"__proto__":{"polluted":true}}')
    const r = MergePatch.apply(t, p) as Record<string, unknown>
    expect(t).toEqual({ a: { b: 1 } })
    expect(Object.keys(r)).toContain("__proto__")
    expect(({} as Record<string, unknown>)["polluted"]).toBeUndefined()
  })

  it("diff produces a minimal patch", () => {
    expect(MergePatch.diff({ a: 1, b: { c: 2, d: 3 }, e: [1] }, { a: 1, b: { c: 2 }, e: [2], f: "x" }))
      .toEqual({ b: { d: null }, e: [2], f: "x" })
  })
})

describe("JsonPatch (RFC 6902)", () => {
  const ok = (doc: unknown, ops: unknown) => Either.getOrThrow(JsonPatch.applyBody(doc as never, ops as never))
  const fail = (doc: unknown, ops: unknown) =>
    Either.match(JsonPatch.applyBody(doc as never, ops as never), { onLeft: (e) => e, onRight: () => "applied" })

  it("add, remove, replace on objects and arrays", () => {
    expect(ok({ foo: "bar" }, [{ op: "add", path: "/baz", value: "qux" }])).toEqual({ foo: "bar", baz: "qux" })
    expect(ok({ foo: ["bar", "baz"] }, [{ op: "add", path: "/foo/1", value: "qux" }])).toEqual({ foo: ["bar", "qux", "baz"] })
    expect(ok({ foo: ["bar"] }, [{ op: "add", path: "/foo/-", value: "z" }])).toEqual({ foo: ["bar", "z"] })
    expect(ok({ baz: "qux", foo: "bar" }, [{ op: "remove", path: "/baz" }])).toEqual({ foo: "bar" })
    expect(ok({ foo: ["bar", "qux", "baz"] }, [{ op: "remove", path: "/foo/1" }])).toEqual({ foo: ["bar", "baz"] })
    expect(ok({ baz: "qux" }, [{ op: "replace", path: "/baz", value: "boo" }])).toEqual({ baz: "boo" })
    expect(ok({ a: 1 }, [{ op: "replace", path: "", value: [1] }])).toEqual([1])
  })

  it("move and copy", () => {
    expect(ok({ foo: { bar: "baz", waldo: "fred" }, qux: { corge: "grault" } }, [{ op: "move", from: "/foo/waldo", path: "/qux/thud" }]))
      .toEqual({ foo: { bar: "baz" }, qux: { corge: "grault", thud: "fred" } })
    expect(ok({ foo: ["all", "grass", "cows", "eat"] }, [{ op: "move", from: "/foo/1", path: "/foo/3" }]))
      .toEqual({ foo: ["all", "cows", "eat", "grass"] })
    expect(ok({ a: { b: [1] } }, [{ op: "copy", from: "/a/b", path: "/c" }])).toEqual({ a: { b: [1] }, c: [1] })
    expect(fail({ a: { b: 1 } }, [{ op: "move", from: "/a", path: "/a/b/c" }])).toMatch(/cannot move \/a into its own child/)
  })

  it("test compares structurally, and a failed test aborts the whole patch", () => {
    expect(ok({ a: { x: [1, { y: 2 }] } }, [{ op: "test", path: "/a", value: { x: [1, { y: 2 }] } }, { op: "add", path: "/b", value: 1 }]))
      .toEqual({ a: { x: [1, { y: 2 }] }, b: 1 })
    expect(fail({ a: 1 }, [{ op: "add", path: "/b", value: 1 }, { op: "test", path: "/a", value: "1" }])).toBe("testing value /a failed: test failed")
  })

  it("pointer escaping", () => {
    const doc = { "a/b": 1, "m~n": 2 }
    expect(ok(doc, [{ op: "replace", path: "/a~1b", value: 3 }, { op: "remove", path: "/m~0n" }])).toEqual({ "a/b": 3 })
    expect(JsonPatch.formatPointer(["metadata", "annotations", "a.io/x~y"])).toBe("/metadata/annotations/a.io~1x~0y")
    expect(JsonPatch.parsePointer("/metadata/annotations/a.io~1x~0y")).toEqual(Either.right(["metadata", "annotations", "a.io/x~y"]))
  })

  it("errors", () => {
    expect(fail({ a: 1 }, [{ op: "remove", path: "/b" }])).toBe('remove operation does not apply: doc is missing path: "/b": missing value')
    expect(fail({ a: 1 }, [{ op: "replace", path: "/b", value: 1 }])).toBe("replace operation does not apply: doc is missing key: /b: missing value")
    expect(fail({ a: 1 }, [{ op: "add", path: "/x/y", value: 1 }])).toBe('add operation does not apply: doc is missing path: "/x/y": missing value')
    expect(fail({ a: [1] }, [{ op: "add", path: "/a/5", value: 1 }])).toMatch(/invalid index/)
    expect(fail({ a: [1] }, [{ op: "add", path: "/a/01", value: 1 }])).toMatch(/invalid index/)
    expect(fail({}, { op: "add" })).toBe("json: cannot unmarshal object into Go value of type jsonpatch.Patch")
    expect(fail({}, [{ op: "frob", path: "/a" }])).toBe("Unexpected kind: frob")
    expect(fail({}, [{ op: "add", path: "/a" }])).toBe("add operation is missing value")
    expect(fail({}, [{ op: "add", path: "a", value: 1 }])).toMatch(/JSON pointer must be empty or start with/)
  })

  it("never mutates the input document", () => {
    const doc = { a: [1, 2], b: { c: 1 } }
    ok(doc, [{ op: "remove", path: "/a/0" }, { op: "add", path: "/b/d", value: 2 }])
    expect(doc).toEqual({ a: [1, 2], b: { c: 1 } })
  })
})
