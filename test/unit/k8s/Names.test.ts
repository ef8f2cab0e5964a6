import { describe, expect, it } from "@effect/vitest"
import { Effect, Random } from "effect"
import * as FieldError from "../../../src/domain/k8s/FieldError.js"
import * as Names from "../../../src/domain/k8s/Names.js"
import * as Meta from "../../../src/domain/k8s/ObjectMetaValidation.js"
import * as Status from "../../../src/domain/k8s/Status.js"

const subdomainMsg =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
const labelMsg =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"

describe("Names", () => {
  it("DNS-1123 subdomain", () => {
    expect(Names.isDNS1123Subdomain("a.b-c.d")).toEqual([])
    expect(Names.isDNS1123Subdomain("Bad_Name")).toEqual([subdomainMsg])
    expect(Names.isDNS1123Subdomain("-a")).toEqual([subdomainMsg])
    expect(Names.isDNS1123Subdomain("a".repeat(254))).toEqual(["must be no more than 253 characters"])
  })

  it("DNS-1123 label", () => {
    expect(Names.isDNS1123Label("rdd-system")).toEqual([])
    expect(Names.isDNS1123Label("a.b")).toEqual(["must not contain dots"])
    expect(Names.isDNS1123Label("A")).toEqual([labelMsg])
    expect(Names.isDNS1123Label("a".repeat(64))).toEqual(["must be no more than 63 characters"])
  })

  it("qualified names and label values", () => {
    expect(Names.isQualifiedName("app.kubernetes.io/name")).toEqual([])
    expect(Names.isQualifiedName("MyName")).toEqual([])
    expect(Names.isQualifiedName("/x")).toEqual(["prefix part must be non-empty"])
    expect(Names.isQualifiedName("a/b/c")[0]).toMatch(/^a qualified name must consist of .* with an optional DNS subdomain prefix and '\/' \(e\.g\. 'example\.com\/MyName'\)$/)
    expect(Names.isQualifiedName("x/")).toEqual([
      "name part must be non-empty",
      "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
    ])
    expect(Names.isValidLabelValue("")).toEqual([])
    expect(Names.isValidLabelValue("ok_1.2-3")).toEqual([])
    expect(Names.isValidLabelValue("-x")).toEqual([
      "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
    ])
  })

  it("config keys", () => {
    expect(Names.isConfigMapKey("KEY_name.x-1")).toEqual([])
    expect(Names.isConfigMapKey("a b")).toEqual([
      "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
    ])
    expect(Names.isConfigMapKey("..a")).toEqual(["must not start with '..'"])
  })

  it("generateName appends 5 characters from the vowel-free alphabet and truncates long bases", () => {
    expect(Names.generateName("web-", () => 0)).toBe("web-bbbbb")
    const long = Names.generateName("x".repeat(80), (n) => n - 1)
    expect(long).toBe("x".repeat(58) + "99999")
    expect(long.length).toBe(63)
  })

  it.effect("generateNameEffect draws from Random", () =>
    Effect.gen(function*() {
      const name = yield* Names.generateNameEffect("cm-")
      expect(name).toMatch(/^cm-[bcdfghjklmnpqrstvwxz2456789]{5}$/)
    }).pipe(Effect.withRandom(Random.make(42))))

  it("lengths are counted in UTF-8 bytes, as Go's len does", () => {
    // 32 characters, 64 bytes: too long although a character count says 32
    expect(Names.isValidLabelValue("é".repeat(32))).toContain("must be no more than 63 characters")
    expect(Names.isValidLabelValue("a".repeat(63))).toEqual([])
    // an annotation of 131,072 two-byte characters is 256 KiB by itself
    const errs = Meta.validateAnnotations({ k: "é".repeat(128 * 1024) }, "metadata.annotations")
    expect(errs.map(FieldError.toString)).toEqual(["metadata.annotations: Too long: may not be more than 262144 bytes"])
    expect(Meta.validateAnnotations({ k: "a".repeat(128 * 1024) }, "metadata.annotations")).toEqual([])
  })
})

describe("ObjectMetaValidation", () => {
  const cmRules = { namespaced: true, name: Names.nameIsDNSSubdomain }

  it("accepts a well-formed ConfigMap meta", () => {
    expect(Meta.validateObjectMeta({ name: "f1", namespace: "default", labels: { a: "b" }, finalizers: ["a.io/x"] }, cmRules)).toEqual([])
  })

  it("reports a bad name the way kubectl shows it", () => {
    const errs = Meta.validateObjectMeta({ name: "Bad_Name", namespace: "default" }, cmRules)
    const s = Status.invalid({ group: "", kind: "ConfigMap" }, "Bad_Name", errs)
    expect(s.message).toBe(`ConfigMap "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name": ${subdomainMsg}`)
  })

  it("requires a name and a namespace for namespaced kinds; forbids a namespace otherwise", () => {
    expect(Meta.validateObjectMeta({}, cmRules).map(FieldError.toString)).toEqual([
      "metadata.name: Required value: name or generateName is required",
      "metadata.namespace: Required value"
    ])
    expect(Meta.validateObjectMeta({ name: "ns1", namespace: "x" }, { namespaced: false, name: Names.nameIsDNSLabel }).map(FieldError.toString))
      .toEqual(["metadata.namespace: Forbidden: not allowed on this type"])
  })

  it("checks label keys and values, annotations and finalizers", () => {
    const errs = Meta.validateObjectMeta({ name: "f1", namespace: "d", labels: { "a/b/c": "ok", k: "-bad" }, annotations: { "UPPER/ok": "v", "a_b/ok": "v" }, finalizers: ["bad finalizer"] }, cmRules)
    expect(errs.map((e) => [e.field, e.badValue])).toEqual([
      ["metadata.labels", "a/b/c"],
      ["metadata.labels", "-bad"],
      ["metadata.annotations", "a_b/ok"],
      ["metadata.finalizers", "bad finalizer"]
    ])
  })

  it("generateName is checked with its trailing dash masked", () => {
    expect(Meta.validateObjectMeta({ name: "web-abcde", generateName: "web-", namespace: "d" }, cmRules)).toEqual([])
  })

  it("update: immutable fields and no new finalizers while deleting", () => {
    const old = { name: "f1", namespace: "d", uid: "u1", deletionTimestamp: "2026-01-01T00:00:00Z", finalizers: ["a.io/x"] }
    const errs = Meta.validateObjectMetaUpdate({ name: "f1", namespace: "d", uid: "u2", finalizers: ["a.io/x", "b.io/y"] }, old, cmRules)
    expect(errs.map(FieldError.toString)).toEqual([
      'metadata.uid: Invalid value: "u2": field is immutable',
      'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"b.io/y"}'
    ])
  })
})

describe("nameRuleFor", () => {
  it("namespaces are labels, custom resources and the rest subdomains", () => {
    expect(Names.nameRuleFor({ group: "", resource: "namespaces" })("a.b", false)).toEqual(["must not contain dots"])
    expect(Names.nameRuleFor({ group: "example.com", resource: "widgets" })("a.b", false)).toEqual([])
    expect(Names.nameRuleFor({ group: "example.com", resource: "widgets" })("A_b", false)).toEqual([subdomainMsg])
    expect(Names.nameRuleFor({ group: "", resource: "configmaps" })("a.b", false)).toEqual([])
  })
})
