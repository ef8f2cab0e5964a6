import { describe, expect, it } from "@effect/vitest"
import * as FieldError from "../../../src/domain/k8s/FieldError.js"
import * as Status from "../../../src/domain/k8s/Status.js"

const cm = { group: "", resource: "configmaps" }
const widgets = { group: "example.com", resource: "widgets" }

describe("Status", () => {
  it("NotFound names the resource plural and carries details", () => {
    expect(Status.notFound(cm, "nope")).toEqual({
      kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", reason: "NotFound", code: 404,
      message: 'configmaps "nope" not found', details: { name: "nope", kind: "configmaps" }
    })
  })

  it("qualifies group resources like kubectl prints them", () => {
    const s = Status.notFound(widgets, "nope")
    expect(s.message).toBe('widgets.example.com "nope" not found')
    expect(s.details).toEqual({ name: "nope", group: "example.com", kind: "widgets" })
  })

  it("AlreadyExists and Conflict", () => {
    const a = Status.alreadyExists(cm, "f1")
    expect([a.code, a.reason, a.message]).toEqual([409, "AlreadyExists", 'configmaps "f1" already exists'])
    const c = Status.conflict(cm, "f1")
    expect([c.code, c.reason]).toEqual([409, "Conflict"])
    expect(c.message).toBe(
      'Operation cannot be fulfilled on configmaps "f1": the object has been modified; please apply your changes to the latest version and try again'
    )
  })

  it("Invalid uses the Kind and one cause per field error", () => {
    const s = Status.invalid({ group: "", kind: "ConfigMap" }, "f1", [FieldError.invalid("metadata.labels", "x", "bad label")])
    expect(s.code).toBe(422)
    expect(s.message).toBe('ConfigMap "f1" is invalid: metadata.labels: Invalid value: "x": bad label')
    expect(s.details).toEqual({
      name: "f1", kind: "ConfigMap",
      causes: [{ reason: "FieldValueInvalid", field: "metadata.labels", message: 'Invalid value: "x": bad label' }]
    })
  })

  it("Invalid with several causes aggregates them in brackets", () => {
    const s = Status.invalid({ group: "example.com", kind: "Widget" }, "w1", [
      FieldError.invalid("data.a", 3, "too big"),
      FieldError.required("spec.size")
    ])
    expect(s.message).toBe('Widget.example.com "w1" is invalid: [data.a: Invalid value: 3: too big, spec.size: Required value]')
    expect(s.details?.kind).toBe("Widget")
    expect(s.details?.group).toBe("example.com")
  })

  it("codes for every reason the SPEC lists", () => {
    const table: Array<[Status.StatusReason, number]> = [
      ["NotFound", 404], ["AlreadyExists", 409], ["Conflict", 409], ["Invalid", 422], ["BadRequest", 400],
      ["Forbidden", 403], ["Unauthorized", 401], ["MethodNotAllowed", 405], ["Gone", 410], ["Expired", 410],
      ["RequestEntityTooLarge", 413], ["UnsupportedMediaType", 415], ["InternalError", 500]
    ]
    for (const [reason, code] of table) expect(Status.statusFor(reason, "m").code).toBe(code)
  })

  it("Forbidden, admission, 415, expired, internal", () => {
    expect(Status.forbidden(cm, "seed", 'User "u" cannot delete resource "configmaps" in API group ""').message).toBe(
      'configmaps "seed" is forbidden: User "u" cannot delete resource "configmaps" in API group ""'
    )
    expect(Status.admissionDenied("limavm.rdd", "no").message).toBe('admission webhook "limavm.rdd" denied the request: no')
    const u = Status.unsupportedMediaType(Status.customResourcePatchTypes)
    expect(u.code).toBe(415)
    expect(u.message).toBe(
      "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml"
    )
    expect(u.details).toBeUndefined()
    const e = Status.tooOldResourceVersion("5", "100")
    expect([e.code, e.reason, e.message]).toEqual([410, "Expired", "too old resource version: 5 (100)"])
    expect(Status.internalError("kaboom").message).toBe("Internal error occurred: kaboom")
    expect(Status.methodNotSupported(cm, "watch").message).toBe('watch is not supported on resources of kind "configmaps"')
  })
})

describe("FieldError", () => {
  it("formats bodies the way apimachinery does", () => {
    expect(FieldError.toString(FieldError.required("spec.x"))).toBe("spec.x: Required value")
    expect(FieldError.toString(FieldError.notSupported("spec.runtime", "podman", ["moby", "containerd"]))).toBe(
      'spec.runtime: Unsupported value: "podman": supported values: "moby", "containerd"'
    )
    expect(FieldError.toString(FieldError.forbidden("spec", "may not be set"))).toBe("spec: Forbidden: may not be set")
    expect(FieldError.toString(FieldError.tooLong("metadata.name", "x", 63))).toBe("metadata.name: Too long: may not be more than 63 bytes")
    expect(FieldError.toString(FieldError.tooMany("spec.items", 5, 3))).toBe("spec.items: Too many: 5: must have at most 3 items")
    expect(FieldError.toString(FieldError.invalid("a", null, "d"))).toBe("a: Invalid value: null: d")
    expect(FieldError.toString(FieldError.invalid("a", true, ""))).toBe("a: Invalid value: true")
    expect(FieldError.toString(FieldError.invalid("a", 1.5e-7, ""))).toBe("a: Invalid value: 1.5e-07")
    expect(FieldError.goQuote('a"b\\c\n\u0001é')).toBe('"a\\"b\\\\c\\n\\x01é"')
  })
})
