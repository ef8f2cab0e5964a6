import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import type { Json } from "../../../src/domain/k8s/Json.js"
import * as MergePatch from "../../../src/domain/k8s/MergePatch.js"
import * as SMP from "../../../src/domain/k8s/StrategicMergePatch.js"
import * as Schemas from "../../../src/domain/k8s/StrategicSchemas.js"

const cm = Schemas.schemaFor("", "ConfigMap")
const pod = Schemas.schemaFor("", "Pod")
const ok = (o: unknown, p: unknown, s = cm) => Either.getOrThrow(SMP.apply(o as Json, p as Json, s))
const fail = (o: unknown, p: unknown, s = cm) => Either.match(SMP.apply(o as Json, p as Json, s), { onLeft: (e) => e, onRight: () => "applied" })

describe("StrategicMergePatch", () => {
  it("applies what kubectl client-side apply sends (wire sheet 6.3)", () => {
    const live = {
      apiVersion: "v1", kind: "ConfigMap",
      metadata: {
        name: "f1", finalizers: ["a.io/x", "b.io/y"],
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "seed", uid: "u1" }]
      },
      data: { a: "1" }
    }
    const patch = {
      data: { a: null, b: "2" },
      metadata: {
        "$deleteFromPrimitiveList/finalizers": ["a.io/x"],
        "$setElementOrder/finalizers": ["b.io/y", "c.io/z"],
        finalizers: ["c.io/z"],
        "$setElementOrder/ownerReferences": [{ uid: "u2" }],
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "seed2", uid: "u2" }, { $patch: "delete", uid: "u1" }]
      }
    }
    expect(ok(live, patch)).toEqual({
      apiVersion: "v1", kind: "ConfigMap",
      metadata: {
        name: "f1", finalizers: ["b.io/y", "c.io/z"],
        ownerReferences: [{ apiVersion: "v1", kind: "ConfigMap", name: "seed2", uid: "u2" }]
      },
      data: { b: "2" }
    })
    // a plain JSON merge patch gets the finalizers wrong, which is why this exists
    expect((MergePatch.apply(live as Json, patch as Json) as { metadata: { finalizers: unknown } }).metadata.finalizers).toEqual(["c.io/z"])
  })

  it("merges primitive merge lists as sets; new items first without an order directive (as Go does)", () => {
    expect(ok({ metadata: { finalizers: ["a", "b"] } }, { metadata: { finalizers: ["b", "c"] } })).toEqual({ metadata: { finalizers: ["a", "b", "c"] } })
    expect(ok({ metadata: { finalizers: ["a", "b"] } }, { metadata: { finalizers: ["c"] } })).toEqual({ metadata: { finalizers: ["c", "a", "b"] } })
    expect(ok({ metadata: { finalizers: ["a", "b"] } }, { metadata: { "$setElementOrder/finalizers": ["a", "b", "c"], finalizers: ["c"] } }))
      .toEqual({ metadata: { finalizers: ["a", "b", "c"] } })
  })

  it("merges object lists by key, recursively", () => {
    const live = { spec: { containers: [
      { name: "a", image: "a:1", env: [{ name: "X", value: "1" }, { name: "Y", value: "2" }], ports: [{ containerPort: 80, name: "http" }] },
      { name: "b", image: "b:1" }
    ] } }
    const patch = { spec: {
      "$setElementOrder/containers": [{ name: "a" }, { name: "b" }],
      containers: [{ name: "a", image: "a:2", "$setElementOrder/env": [{ name: "X" }, { name: "Y" }], env: [{ name: "Y", value: "3" }], ports: [{ containerPort: 80, protocol: "TCP" }] }]
    } }
    expect(ok(live, patch, pod)).toEqual({ spec: { containers: [
      { name: "a", image: "a:2", env: [{ name: "X", value: "1" }, { name: "Y", value: "3" }], ports: [{ containerPort: 80, name: "http", protocol: "TCP" }] },
      { name: "b", image: "b:1" }
    ] } })
  })

  it("conditions merge by type", () => {
    const ns = Schemas.schemaFor("", "Namespace")
    const live = { status: { conditions: [{ type: "A", status: "True" }, { type: "B", status: "False" }] } }
    expect(ok(live, { status: { conditions: [{ type: "B", status: "True" }] } }, ns))
      .toEqual({ status: { conditions: [{ type: "A", status: "True" }, { type: "B", status: "True" }] } })
  })

  it("non-merge lists are replaced", () => {
    const ns = Schemas.schemaFor("", "Namespace")
    expect(ok({ spec: { finalizers: ["kubernetes"] } }, { spec: { finalizers: ["x"] } }, ns)).toEqual({ spec: { finalizers: ["x"] } })
    expect(ok({ spec: { tolerations: [{ key: "a" }] } }, { spec: { tolerations: [{ key: "b" }] } }, pod)).toEqual({ spec: { tolerations: [{ key: "b" }] } })
  })

  it("$patch: replace on a list item and on a map; $patch: delete on a map", () => {
    const live = { spec: { containers: [{ name: "a" }, { name: "b" }] } }
    expect(ok(live, { spec: { containers: [{ name: "c" }, { $patch: "replace" }] } }, pod)).toEqual({ spec: { containers: [{ name: "c" }] } })
    expect(ok({ data: { a: "1", b: "2" } }, { data: { $patch: "replace", c: "3" } })).toEqual({ data: { c: "3" } })
    expect(ok({ data: { a: "1" }, x: 1 }, { data: { $patch: "delete" } })).toEqual({ x: 1 })
    expect(fail(live, { spec: { containers: [{ $patch: "delete" }] } }, pod)).toBe('map: {"$patch":"delete"} does not contain declared merge key: name')
    expect(fail({}, { data: { $patch: "bogus" } })).toMatch(/^Unknown patch type: bogus in map/)
  })

  it("$retainKeys drops the other keys and checks the patch against the list", () => {
    const live = { spec: { volumes: [{ name: "v", hostPath: { path: "/x" }, emptyDir: {} }] } }
    expect(ok(live, { spec: { volumes: [{ name: "v", $retainKeys: ["name", "emptyDir"], emptyDir: { medium: "Memory" } }] } }, pod))
      .toEqual({ spec: { volumes: [{ name: "v", emptyDir: { medium: "Memory" } }] } })
    expect(fail(live, { spec: { volumes: [{ name: "v", $retainKeys: ["name"], emptyDir: {} }] } }, pod)).toBe("invalid patch format of retainKeys")
  })

  it("null deletes; new fields are taken with directives cleaned", () => {
    expect(ok({ data: { a: "1" }, metadata: { labels: { x: "1" } } }, { metadata: { labels: { x: null, y: "2" } } }))
      .toEqual({ data: { a: "1" }, metadata: { labels: { y: "2" } } })
    expect(ok({ metadata: {} }, { metadata: { ownerReferences: [{ uid: "u1", name: "o" }, { $patch: "delete", uid: "u0" }] } }))
      .toEqual({ metadata: { ownerReferences: [{ uid: "u1", name: "o" }] } })
  })

  it("without a schema it behaves like a JSON merge patch", () => {
    const live = { spec: { list: [1, 2], m: { a: 1, b: 2 } } }
    const patch = { spec: { list: [3], m: { a: null, c: 3 } } }
    expect(ok(live, patch, undefined)).toEqual(MergePatch.apply(live, patch))
  })

  it("the schema table", () => {
    expect(Schemas.supportsStrategicMerge("", "ConfigMap")).toBe(true)
    expect(Schemas.supportsStrategicMerge("apiextensions.k8s.io", "CustomResourceDefinition")).toBe(true)
    expect(Schemas.supportsStrategicMerge("example.com", "Widget")).toBe(false)
    expect(Schemas.supportsStrategicMerge("lima.rancherdesktop.io", "LimaVM")).toBe(false)
  })

  it("rejects non-object patches and never mutates inputs", () => {
    expect(fail({}, [1])).toBe("strategic merge patch must be a JSON object")
    const live = { metadata: { finalizers: ["a"] } }
    const patch = { metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } }
    expect(ok(live, patch)).toEqual({ metadata: { finalizers: [] } })
    expect(live).toEqual({ metadata: { finalizers: ["a"] } })
    expect(patch).toEqual({ metadata: { "$deleteFromPrimitiveList/finalizers": ["a"] } })
  })
})
