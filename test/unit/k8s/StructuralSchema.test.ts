import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as Cel from "../../../src/domain/k8s/CelRules.js"
import * as FieldError from "../../../src/domain/k8s/FieldError.js"
import type { JsonObject } from "../../../src/domain/k8s/Json.js"
import * as Status from "../../../src/domain/k8s/Status.js"
import * as SS from "../../../src/domain/k8s/StructuralSchema.js"

const condition = {
  type: "object",
  required: ["lastTransitionTime", "message", "reason", "status", "type"],
  properties: {
    lastTransitionTime: { type: "string", format: "date-time" },
    message: { type: "string", maxLength: 32768 },
    observedGeneration: { type: "integer", format: "int64", minimum: 0 },
    reason: { type: "string", maxLength: 1024, minLength: 1, pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$" },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    type: { type: "string", maxLength: 316 }
  }
}

/** Shaped like rdd's App CRD (go-rdd-cli-surface 4b). */
const app: JsonObject = {
  type: "object",
  "x-kubernetes-validations": [{ rule: "self.metadata.name == 'app'", message: "App resource must be named 'app'" }],
  properties: {
    apiVersion: { type: "string" },
    kind: { type: "string" },
    metadata: { type: "object" },
    spec: {
      type: "object",
      required: ["running"],
      properties: {
        running: { type: "boolean" },
        namespace: { type: "string", default: "default", "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "spec.namespace is immutable" }] },
        containerEngine: {
          type: "object",
          default: { name: "moby" },
          required: ["name"],
          properties: { name: { type: "string", enum: ["moby", "containerd"], default: "moby" } }
        },
        kubernetes: { type: "object", required: ["enabled"], properties: { enabled: { type: "boolean" }, version: { type: "string" } } },
        replicas: { type: "integer", format: "int32", minimum: 1, maximum: 10 },
        tags: { type: "array", maxItems: 2, items: { type: "string" }, "x-kubernetes-list-type": "set" },
        labels: { type: "object", additionalProperties: { type: "string", maxLength: 3 } },
        port: { "x-kubernetes-int-or-string": true },
        extra: { type: "object", "x-kubernetes-preserve-unknown-fields": true }
      }
    },
    status: {
      type: "object",
      properties: {
        kubernetesPort: { type: "integer" },
        conditions: { type: "array", items: condition, "x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"] }
      }
    }
  }
}

const obj = (spec: unknown, extra: Record<string, unknown> = {}) =>
  ({ apiVersion: "app.rancherdesktop.io/v1alpha1", kind: "App", metadata: { name: "app" }, spec, ...extra }) as JsonObject
const msgs = (errs: ReadonlyArray<FieldError.FieldError>) => errs.map(FieldError.toString)

describe("StructuralSchema.validate", () => {
  it("accepts a valid object", () => {
    expect(SS.validate(app, obj({ running: true, kubernetes: { enabled: false }, port: "http" }))).toEqual([])
  })

  it("type errors read like kube's", () => {
    expect(msgs(SS.validate(app, obj({ running: true, replicas: "3" })))).toEqual([
      'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'
    ])
    expect(msgs(SS.validate(app, obj({ running: null })))).toEqual([
      'spec.running: Invalid value: "null": spec.running in body must be of type boolean: "null"'
    ])
    expect(msgs(SS.validate(app, obj({ running: true, port: true })))).toEqual([
      'spec.port: Invalid value: "boolean": spec.port in body must be of type integer,string: "boolean"'
    ])
  })

  it("required, enum, bounds, lengths, pattern, items, formats", () => {
    expect(msgs(SS.validate(app, obj({})))).toEqual(["spec.running: Required value"])
    expect(msgs(SS.validate(app, obj({ running: true, containerEngine: { name: "podman" } })))).toEqual([
      'spec.containerEngine.name: Unsupported value: "podman": supported values: "moby", "containerd"'
    ])
    expect(msgs(SS.validate(app, obj({ running: true, replicas: 0 })))).toEqual([
      "spec.replicas: Invalid value: 0: spec.replicas in body should be greater than or equal to 1"
    ])
    expect(msgs(SS.validate(app, obj({ running: true, replicas: 11 })))).toEqual([
      "spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10"
    ])
    // like kube-openapi, format int32 is not a range check
    expect(msgs(SS.validate(app, obj({ running: true, replicas: 2 ** 31 })))).toEqual([
      "spec.replicas: Invalid value: 2147483648: spec.replicas in body should be less than or equal to 10"
    ])
    expect(msgs(SS.validate(app, obj({ running: true, tags: ["a", "b", "a"] })))).toEqual([
      "spec.tags: Too many: 3: must have at most 2 items",
      'spec.tags[2]: Duplicate value: "a"'
    ])
    expect(msgs(SS.validate(app, obj({ running: true, labels: { a: "long" } })))).toEqual(["spec.labels.a: Too long: may not be more than 3 bytes"])
    const st = { conditions: [
      { type: "Ready", status: "Maybe", reason: "not ok", message: "", lastTransitionTime: "yesterday" },
      { type: "Ready", status: "True", reason: "R", message: "", lastTransitionTime: "2026-01-01T00:00:00Z" }
    ] }
    expect(msgs(SS.validate(app, obj({ running: true }, { status: st })))).toEqual([
      'status.conditions[1]: Duplicate value: {"type":"Ready"}',
      'status.conditions[0].lastTransitionTime: Invalid value: "yesterday": status.conditions[0].lastTransitionTime in body must be of type date-time: "yesterday"',
      "status.conditions[0].reason: Invalid value: \"not ok\": status.conditions[0].reason in body should match '^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$'",
      'status.conditions[0].status: Unsupported value: "Maybe": supported values: "True", "False", "Unknown"'
    ])
  })

  it("a 422 built from the errors is what kubectl prints", () => {
    const s = Status.invalid({ group: "app.rancherdesktop.io", kind: "App" }, "app", SS.validate(app, obj({ containerEngine: { name: "podman" } })))
    expect(s.details?.causes?.map((c) => `${c.field}: ${c.message}`)).toEqual([
      'spec.containerEngine.name: Unsupported value: "podman": supported values: "moby", "containerd"',
      "spec.running: Required value"
    ])
  })
})

describe("StructuralSchema pruning, strict fields and defaults", () => {
  const input = obj({ running: true, bogus: 1, kubernetes: { enabled: true, extra: "x" }, extra: { anything: { goes: 1 } }, labels: { a: "b" } },
    { status: { conditions: [{ type: "A", status: "True", junk: 1 }] }, topLevel: 1 })

  it("unknownFields lists what Strict rejects", () => {
    expect(SS.unknownFields(app, input)).toEqual(["spec.bogus", "spec.kubernetes.extra", "status.conditions[0].junk", "topLevel"])
    expect(SS.unknownFields(app, obj({ running: true }))).toEqual([])
  })

  it("prune drops them and keeps metadata and preserve-unknown-fields subtrees", () => {
    expect(SS.prune(app, { ...input, metadata: { name: "app", labels: { x: "y" } } })).toEqual({
      apiVersion: "app.rancherdesktop.io/v1alpha1", kind: "App", metadata: { name: "app", labels: { x: "y" } },
      spec: { running: true, kubernetes: { enabled: true }, extra: { anything: { goes: 1 } }, labels: { a: "b" } },
      status: { conditions: [{ type: "A", status: "True" }] }
    })
  })

  it("applyDefaults fills absent fields recursively, including inside defaulted objects", () => {
    expect(SS.applyDefaults(app, obj({ running: false }))).toEqual(obj({ running: false, namespace: "default", containerEngine: { name: "moby" } }))
    expect(SS.applyDefaults(app, obj({ running: false, containerEngine: {}, namespace: null }))).toEqual(
      obj({ running: false, namespace: "default", containerEngine: { name: "moby" } })
    )
    expect(SS.applyDefaults(app, obj({ running: false, kubernetes: null }))).toEqual(obj({ running: false, namespace: "default", containerEngine: { name: "moby" } }))
  })
})

describe("x-kubernetes-validations", () => {
  it("root rule with message; field errors on the root read <nil> as kube's do", () => {
    const o = { ...obj({ running: true }), metadata: { name: "other" } } as JsonObject
    expect(msgs(SS.evaluateRules(app, o))).toEqual(['<nil>: Invalid value: "object": App resource must be named \'app\''])
    expect(SS.evaluateRules(app, obj({ running: true }))).toEqual([])
  })

  it("self == oldSelf is checked only on update", () => {
    const before = obj({ running: true, namespace: "default" })
    const after = obj({ running: true, namespace: "other" })
    expect(SS.evaluateRules(app, after)).toEqual([])
    expect(msgs(SS.evaluateRules(app, after, before))).toEqual(['spec.namespace: Invalid value: "string": spec.namespace is immutable'])
    expect(SS.evaluateRules(app, before, before)).toEqual([])
  })

  it("the rule shapes rdd needs", () => {
    const s: JsonObject = {
      type: "object",
      properties: {
        a: { type: "string", "x-kubernetes-validations": [{ rule: "self == 'x'" }] },
        b: { type: "string", "x-kubernetes-validations": [{ rule: "self.matches('^[a-z]+$')", message: "lowercase only" }] },
        c: { type: "array", items: { type: "string" }, "x-kubernetes-validations": [{ rule: "size(self) <= 2" }] },
        d: { type: "object", properties: { x: { type: "string" } }, "x-kubernetes-validations": [{ rule: "has(self.x)", reason: "FieldValueRequired", message: "x is required" }] },
        ref: { type: "object", properties: { name: { type: "string" } }, "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "templateRef is immutable" }] }
      }
    }
    expect(msgs(SS.evaluateRules(s, { a: "y", b: "B", c: ["1", "2", "3"], d: {}, ref: { name: "n2" } }, { ref: { name: "n1" } }))).toEqual([
      'a: Invalid value: "string": failed rule: self == \'x\'',
      'b: Invalid value: "string": lowercase only',
      'c: Invalid value: "array": failed rule: size(self) <= 2',
      "d: Required value: x is required",
      'ref: Invalid value: "object": templateRef is immutable'
    ])
    expect(SS.evaluateRules(s, { a: "x", b: "b", c: [], d: { x: "" }, ref: { name: "n1" } }, { ref: { name: "n1" } })).toEqual([])
  })

  it("evaluation errors are reported, not swallowed", () => {
    const s: JsonObject = { type: "object", properties: { d: { type: "object", "x-kubernetes-preserve-unknown-fields": true, "x-kubernetes-validations": [{ rule: "self.x == 'a'" }] } } }
    expect(msgs(SS.evaluateRules(s, { d: {} }))).toEqual(['d: Invalid value: "object": no such key: x evaluating rule: self.x == \'a\''])
    expect(msgs(SS.evaluateRules(s, { d: { x: "a" } }))).toEqual([])
  })

  it("checkSchema rejects unsupported rules and non-structural nodes at CRD creation", () => {
    const bad: JsonObject = {
      type: "object",
      properties: {
        a: { type: "string", "x-kubernetes-validations": [{ rule: "self.all(x, x > 0)" }] },
        b: { "x-kubernetes-validations": [{ rule: "self == oldSelf", messageExpression: "'no'" }] },
        ok: { type: "string", "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "immutable" }] }
      }
    }
    const errs = msgs(SS.checkSchema(bad, "spec.versions[0].schema.openAPIV3Schema"))
    expect(errs).toHaveLength(3)
    expect(errs[0]).toMatch(/^spec\.versions\[0\]\.schema\.openAPIV3Schema\.properties\[a\]\.x-kubernetes-validations\[0\]\.rule: Invalid value: "self\.all\(x, x > 0\)": compilation failed: function all\(\) is not supported by rdd/)
    expect(errs[1]).toBe("spec.versions[0].schema.openAPIV3Schema.properties[b].type: Required value: must not be empty for specified object fields")
    expect(errs[2]).toMatch(/properties\[b\]\.x-kubernetes-validations\[0\]\.messageExpression: Invalid value: "'no'": messageExpression is not supported by rdd/)
    expect(SS.checkSchema(app, "x")).toEqual([])
  })
})

describe("CelRules", () => {
  const ev = (rule: string, self: unknown, old?: unknown) =>
    Either.flatMap(Cel.compile(rule), (e) => Cel.evaluate(e, self as never, old as never))
  it("operators and functions", () => {
    expect(ev("self.a > 1 && self.b in ['x', 'y']", { a: 2, b: "y" })).toEqual(Either.right(true))
    expect(ev("!has(self.a) || self.a.startsWith('r')", {})).toEqual(Either.right(true))
    expect(ev("self.size() == 3 && size(self) >= 3", "abc")).toEqual(Either.right(true))
    expect(ev("self.contains('b') && self.endsWith('c') && self != 'x'", "abc")).toEqual(Either.right(true))
    expect(ev("self.x == 1 || true", {})).toEqual(Either.right(true))
    expect(ev("self == -1", -1)).toEqual(Either.right(true))
    expect(ev("self", 1)).toEqual(Either.left("rule did not evaluate to a bool: 1"))
    expect(Either.isLeft(Cel.compile("self.matches('[')"))).toBe(true)
    expect(Either.isLeft(Cel.compile("foo == 1"))).toBe(true)
  })
})

describe("bad regular expressions", () => {
  it("are refused at CRD creation, and never throw at write time", () => {
    const s: JsonObject = { type: "object", properties: { a: { type: "string", pattern: "[" }, b: { type: "string", "x-kubernetes-validations": [{ rule: "'x'.matches(self)" }] } } }
    expect(msgs(SS.checkSchema(s, "p"))[0]).toMatch(/^p\.properties\[a\]\.pattern: Invalid value: "\[": must be a valid regular expression, but isn't: /)
    expect(SS.validate(s, { a: "x" })).toEqual([])
    expect(msgs(SS.evaluateRules(s, { b: "(" }))).toEqual(['b: Invalid value: "string": invalid regular expression "(" evaluating rule: \'x\'.matches(self)'])
  })
})

describe("value-validation junctors", () => {
  const s: JsonObject = {
    type: "object",
    properties: {
      size: { type: "string", anyOf: [{ pattern: "^[0-9]+Gi$" }, { pattern: "^[0-9]+Mi$" }] },
      one: { type: "integer", oneOf: [{ minimum: 0 }, { maximum: 10 }] },
      name: { type: "string", allOf: [{ minLength: 2 }, { maxLength: 4 }], not: { enum: ["root"] } }
    }
  }
  it("anyOf, oneOf, allOf and not", () => {
    expect(SS.validate(s, { size: "10Gi", one: -1, name: "abc" })).toEqual([])
    expect(msgs(SS.validate(s, { size: "10G", one: 5, name: "root" }))).toEqual([
      'name: Invalid value: "root": "name" must not validate the schema (not)',
      'one: Invalid value: 5: "one" must validate one and only one schema (oneOf)',
      'size: Invalid value: "10G": "size" must validate at least one schema (anyOf)'
    ])
    expect(msgs(SS.validate(s, { name: "a" }))).toEqual(['name: Invalid value: "a": name in body should be at least 2 chars long'])
  })
})
