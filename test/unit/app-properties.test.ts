/** `rdd set` argument parsing and schema checks, against the App CRD's own spec schema. */
import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import * as Crd from "../../src/domain/app/Crd.js"
import * as Properties from "../../src/domain/app/Properties.js"

const schema = Properties.settableSchema(Properties.specSchemaOfCrd(Crd.crd))

const left = <A>(e: Either.Either<A, string>): string => Either.match(e, { onLeft: (l) => l, onRight: () => assert.fail("expected an error") })
const right = <A>(e: Either.Either<A, string>): A => Either.match(e, { onLeft: (l) => assert.fail(l), onRight: (r) => r })

describe("parseArgs", () => {
  it("splits at the first =, later duplicates win", () => {
    assert.deepStrictEqual(right(Properties.parseArgs(["a=1", "b=x=y", "a=2", "c="])), [
      { path: "b", raw: "x=y" },
      { path: "a", raw: "2" },
      { path: "c", raw: "" }
    ])
  })
  it("rejects an argument without = and an empty name, in the Go tool's words", () => {
    assert.strictEqual(left(Properties.parseArgs(["foo"])), `invalid argument "foo": expected PROPERTY=VALUE format`)
    assert.strictEqual(left(Properties.parseArgs(["=x"])), `invalid argument "=x": property name must not be empty`)
  })
})

describe("the schema read from the CRD", () => {
  it("lists the settable leaves, without namespace", () => {
    assert.deepStrictEqual(Properties.leafPaths(schema), [
      "containerEngine.name",
      "kubernetes.enabled",
      "kubernetes.version",
      "running",
      "virtualMachine.cpus",
      "virtualMachine.memoryInGB"
    ])
  })
})

describe("check", () => {
  const check = (path: string, raw: string) => Properties.check(schema, { path, raw })
  it("converts values to real JSON types", () => {
    assert.strictEqual(right(check("running", "true")), true)
    assert.strictEqual(right(check("running", "F")), false)
    assert.strictEqual(right(check("virtualMachine.cpus", "2")), 2)
    assert.strictEqual(right(check("containerEngine.name", "containerd")), "containerd")
    assert.strictEqual(right(check("kubernetes.version", "")), "")
  })
  it("names unknown properties with the valid ones", () => {
    assert.strictEqual(
      left(check("foo", "1")),
      `foo: unknown property "foo"; valid properties: containerEngine.name, kubernetes.enabled, kubernetes.version, running, virtualMachine.cpus, virtualMachine.memoryInGB`
    )
    assert.strictEqual(
      left(check("kubernetes.foo", "1")),
      `kubernetes.foo: unknown property "foo" under "kubernetes"; valid properties: enabled, version`
    )
  })
  it("refuses namespace like any unknown property", () => {
    assert.match(left(check("namespace", "x")), /^namespace: unknown property "namespace"; valid properties: /)
  })
  it("refuses paths through leaves and paths ending on objects", () => {
    assert.strictEqual(left(check("running.x", "1")), `running.x: "running" is not an object and has no sub-properties`)
    assert.strictEqual(
      left(check("kubernetes", "1")),
      `kubernetes: "kubernetes" is an object; set its fields, e.g. "kubernetes.enabled"`
    )
  })
  it("refuses bad values, enum first", () => {
    assert.strictEqual(left(check("containerEngine.name", "podman")), `invalid value "podman" for "containerEngine.name": valid values: moby, containerd`)
    assert.strictEqual(left(check("containerEngine.name", "")), `invalid value "" for "containerEngine.name": valid values: moby, containerd`)
    assert.strictEqual(left(check("running", "yes")), `invalid value "yes" for "running": expected boolean; use "true" or "false"`)
    assert.strictEqual(left(check("running", "")), `invalid value "" for "running": expected boolean; use "true" or "false"`)
    assert.strictEqual(left(check("virtualMachine.cpus", "2.5")), `invalid value "2.5" for "virtualMachine.cpus": expected integer`)
  })
})

describe("toSpec and withRequired", () => {
  it("nests the values", () => {
    const spec = right(Properties.toSpec(schema, right(Properties.parseArgs(["running=true", "virtualMachine.cpus=2", "virtualMachine.memoryInGB=3"]))))
    assert.deepStrictEqual(spec, { running: true, virtualMachine: { cpus: 2, memoryInGB: 3 } })
  })
  it("fills required fields with zero values for a create", () => {
    const spec = right(Properties.toSpec(schema, [{ path: "kubernetes.version", raw: "1.34.6" }]))
    assert.deepStrictEqual(Properties.withRequired(schema, spec), { kubernetes: { version: "1.34.6", enabled: false }, running: false })
    assert.deepStrictEqual(Properties.withRequired(schema, { containerEngine: {} }), { containerEngine: { name: "moby" }, running: false })
  })
})

describe("helpTable", () => {
  const table = Properties.helpTable(schema, 100)
  it("lists objects before their fields with type hints and first sentences", () => {
    const lines = table.split("\n")
    assert.strictEqual(lines[0], "Available properties:")
    const paths = lines.slice(1).filter((l) => /^ {2}\S/.test(l)).map((l) => l.trim().split(/\s+/)[0])
    assert.deepStrictEqual(paths, [
      "containerEngine",
      "containerEngine.name",
      "kubernetes",
      "kubernetes.enabled",
      "kubernetes.version",
      "running",
      "virtualMachine",
      "virtualMachine.cpus",
      "virtualMachine.memoryInGB"
    ])
    assert.match(table, /containerEngine\.name\s+\(moby\|containerd\)\s+Container engine to run in the VM\./)
    assert.match(table, /virtualMachine\.cpus\s+\(integer\)\s+Number of virtual CPUs of the VM \(1 to 64\)\.\n/)
    assert.match(table, /running\s+\(boolean\)\s+Whether the app's virtual machine should be running\./)
  })
  it("never mentions the namespace", () => {
    assert.notMatch(table.toLowerCase(), /namespace/)
  })
  it("wraps to the width, keeping at least 20 columns of text", () => {
    for (const line of Properties.helpTable(schema, 80).split("\n")) assert.isAtMost(line.length, 80)
    const narrow = Properties.helpTable(schema, 10).split("\n").slice(1)
    assert.isTrue(narrow.every((l) => l.length <= 2 + 25 + 2 + 20 + 2 + 20))
  })
})
