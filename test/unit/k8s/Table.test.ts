import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import type { JsonObject } from "../../../src/domain/k8s/Json.js"
import * as JsonPath from "../../../src/domain/k8s/JsonPath.js"
import * as Table from "../../../src/domain/k8s/Table.js"

const now = Date.parse("2026-06-01T12:00:00Z")
const ago = (ms: number) => new Date(now - ms).toISOString().replace(/\.\d{3}Z$/, "Z")
const S = 1000
const M = 60 * S
const H = 60 * M
const D = 24 * H

describe("humanDuration (apimachinery HumanDuration)", () => {
  it.each([
    [-3 * S, "<invalid>"], [-1 * S, "0s"], [0, "0s"], [59 * S, "59s"], [119 * S, "119s"], [2 * M, "2m"], [5 * M + 7 * S, "5m7s"],
    [10 * M, "10m"], [179 * M, "179m"], [3 * H, "3h"], [7 * H + 59 * M, "7h59m"], [8 * H + 30 * M, "8h"], [47 * H, "47h"],
    [2 * D, "2d"], [2 * D + 3 * H, "2d3h"], [8 * D, "8d"], [729 * D, "729d"], [731 * D, "2y1d"], [3 * 365 * D, "3y"], [9 * 365 * D, "9y"]
  ])("%d ms → %s", (ms, want) => {
    expect(Table.humanDuration(ms)).toBe(want)
  })
  it("age of missing and bad timestamps", () => {
    expect(Table.age(undefined, now)).toBe("<unknown>")
    expect(Table.age("yesterday", now)).toBe("<invalid>")
    expect(Table.age(ago(5 * M), now)).toBe("5m")
  })
})

describe("JsonPath", () => {
  const doc = {
    spec: { running: true, items: [{ name: "a", n: 1 }, { name: "b", n: 2 }], "a.b": "dotted" },
    status: { conditions: [{ type: "Created", status: "True" }, { type: "Ready", status: "False" }] }
  }
  it("selects fields, indices, wildcards and filters", () => {
    expect(JsonPath.query(".spec.running", doc)).toEqual([true])
    expect(JsonPath.query("{.spec.items[1].name}", doc)).toEqual(["b"])
    expect(JsonPath.query(".spec.items[-1].n", doc)).toEqual([2])
    expect(JsonPath.query(".spec.items[*].name", doc)).toEqual(["a", "b"])
    expect(JsonPath.query("$.spec['a.b']", doc)).toEqual(["dotted"])
    expect(JsonPath.query('.status.conditions[?(@.type=="Ready")].status', doc)).toEqual(["False"])
    expect(JsonPath.query(".status.conditions[?(@.type=='Created')].status", doc)).toEqual(["True"])
    expect(JsonPath.query(".spec.items[?(@.n > 1)].name", doc)).toEqual(["b"])
    expect(JsonPath.query(".spec.items[?(@.name)].n", doc)).toEqual([1, 2])
  })
  it("missing keys select nothing; unsupported syntax is reported", () => {
    expect(JsonPath.query(".spec.nope.deeper", doc)).toEqual([])
    expect(JsonPath.query(".spec.items[9]", doc)).toEqual([])
    expect(Either.isLeft(JsonPath.parse("..name"))).toBe(true)
    expect(Either.isLeft(JsonPath.parse(".a[?(@.x =~ /y/)]"))).toBe(true)
  })
})

describe("Table", () => {
  const cm = (name: string, created: string, data: Record<string, string>): JsonObject => ({
    apiVersion: "v1", kind: "ConfigMap", metadata: { name, namespace: "default", labels: { a: "b" }, uid: "u", resourceVersion: "103", creationTimestamp: created }, data
  })

  it("ConfigMap: NAME DATA AGE with PartialObjectMetadata rows, like the wire sheet's example", () => {
    const t = Table.toTable(Table.columnsFor("", "ConfigMap"), [cm("seed", ago(5 * M), { a: "1" })], { nowMs: now, resourceVersion: "103" })
    expect(t.kind).toBe("Table")
    expect(t.apiVersion).toBe("meta.k8s.io/v1")
    expect(t.metadata).toEqual({ resourceVersion: "103" })
    expect(t.columnDefinitions.map((c) => [c.name, c.type, c.format, c.priority])).toEqual([["Name", "string", "name", 0], ["Data", "integer", "", 0], ["Age", "date", "", 0]])
    expect(t.rows).toEqual([{
      cells: ["seed", 1, "5m"],
      object: { kind: "PartialObjectMetadata", apiVersion: "meta.k8s.io/v1", metadata: cm("seed", ago(5 * M), {})["metadata"] }
    }])
  })

  it("includeObject Object and None, and continue tokens", () => {
    const o = cm("x", ago(2 * D + 3 * H), {})
    expect(Table.toTable(Table.columnsFor("", "ConfigMap"), [o], { nowMs: now, includeObject: "Object" }).rows[0]?.object).toEqual(o)
    const none = Table.toTable(Table.columnsFor("", "ConfigMap"), [o], { nowMs: now, includeObject: "None", continue: "tok" })
    expect(none.rows).toEqual([{ cells: ["x", 0, "2d3h"] }])
    expect(none.metadata).toEqual({ continue: "tok" })
    expect(Table.parseIncludeObject(undefined)).toEqual(Either.right("Metadata"))
    expect(Either.isLeft(Table.parseIncludeObject("All"))).toBe(true)
  })

  it("CRD printer columns: types, priority, the first result only, Name + Age by default", () => {
    const version = { name: "v1alpha1", additionalPrinterColumns: [
      { name: "Running", type: "boolean", jsonPath: ".spec.running" },
      { name: "Ready", type: "string", jsonPath: '.status.conditions[?(@.type=="Ready")].status' },
      { name: "Restarts", type: "integer", jsonPath: ".status.restartCount", priority: 1 },
      { name: "Names", type: "string", jsonPath: ".spec.names[*]" },
      { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }
    ] }
    const cols = Table.columnsFor("lima.rancherdesktop.io", "LimaVM", Table.printerColumnsOf(version))
    const vm: JsonObject = {
      apiVersion: "lima.rancherdesktop.io/v1alpha1", kind: "LimaVM", metadata: { name: "rd", creationTimestamp: ago(90 * S) },
      spec: { running: true, names: ["a", "b"] }, status: { restartCount: 2.0, conditions: [{ type: "Ready", status: "True" }] }
    }
    const t = Table.toTable(cols, [vm, { ...vm, metadata: { name: "empty" }, spec: {}, status: {} }], { nowMs: now })
    expect(t.columnDefinitions.map((c) => `${c.name}:${c.type}:${c.priority}`)).toEqual(["Name:string:0", "Running:boolean:0", "Ready:string:0", "Restarts:integer:1", "Names:string:0", "Age:date:0"])
    expect(t.rows.map((r) => r.cells)).toEqual([["rd", true, "True", 2, "a", "90s"], ["empty", null, null, null, null, null]])
    expect(Table.columnsFor("example.com", "Widget").map((c) => c.definition.name)).toEqual(["Name", "Age"])
  })

  it("other built-in printers", () => {
    const ev: JsonObject = {
      apiVersion: "v1", kind: "Event", metadata: { name: "e1" }, type: "Normal", reason: "Started", message: "hi",
      involvedObject: { kind: "LimaVM", name: "rd" }, count: 3, firstTimestamp: ago(10 * M), lastTimestamp: ago(1 * M)
    }
    const t = Table.toTable(Table.columnsFor("", "Event"), [ev], { nowMs: now })
    expect(t.rows[0]?.cells.slice(0, 4)).toEqual(["60s (x3 over 10m)", "Normal", "Started", "limavm/rd"])
    const ns = Table.toTable(Table.columnsFor("", "Namespace"), [{ apiVersion: "v1", kind: "Namespace", metadata: { name: "n", creationTimestamp: ago(3 * H) }, status: { phase: "Active" } }], { nowMs: now })
    expect(ns.rows[0]?.cells).toEqual(["n", "Active", "3h"])
    const crd = Table.toTable(Table.columnsFor("apiextensions.k8s.io", "CustomResourceDefinition"), [{ apiVersion: "apiextensions.k8s.io/v1", kind: "CustomResourceDefinition", metadata: { name: "w.example.com", creationTimestamp: "2026-01-01T00:00:00Z" } }], { nowMs: now })
    expect(crd.rows[0]?.cells).toEqual(["w.example.com", "2026-01-01T00:00:00Z"])
  })
})
