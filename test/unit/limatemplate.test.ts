import { assert, describe, it } from "@effect/vitest"
import { Either, FastCheck } from "effect"
import * as LimaTemplate from "../../src/domain/LimaTemplate.js"

const ok = (text: string) => {
  const r = LimaTemplate.parse(text)
  if (Either.isLeft(r)) assert.fail(r.left.message)
  return r.right
}
const bad = (text: string) => {
  const r = LimaTemplate.parse(text)
  if (Either.isRight(r)) assert.fail("expected a rejection")
  return r.left.message
}

describe("LimaTemplate.parse", () => {
  it("reads the fields the drivers use, with Lima's defaults", () => {
    const t = ok(`
vmType: qemu
cpus: 2
memory: 512MiB
images:
- location: /img/disk.raw
  kernel:
    location: /img/vmlinuz
    cmdline: "console=ttyS0 qg.id={{.Name}}"
  initrd:
    location: /img/initrd.gz
rdd:
  readyLine: "READY {{ .Name }}"
futureKey: accepted
`)
    assert.strictEqual(t.vmType, "qemu")
    assert.strictEqual(t.arch, "x86_64")
    assert.strictEqual(t.cpus, 2)
    assert.strictEqual(t.memoryBytes, 512 * 1024 * 1024)
    assert.strictEqual(t.images[0]!.kernel!.cmdline, "console=ttyS0 qg.id={{.Name}}")
    assert.strictEqual(t.images[0]!.kernel!.arch, "x86_64")
    assert.strictEqual(t.images[0]!.initrd!.location, "/img/initrd.gz")
    assert.strictEqual(LimaTemplate.expand(t.readyLine!, "vm1"), "READY vm1")
  })

  it("accepts a minimal template with a URL image", () => {
    const t = ok(`images: [{location: "https://example.invalid/x.img"}]`)
    assert.strictEqual(t.cpus, undefined)
    assert.strictEqual(t.memoryBytes, undefined)
  })

  it("rejects an unknown arch naming the field and the value", () => {
    const m = bad(`arch: "cray-1"\nimages: [{location: /x}]`)
    assert.match(m, /^failed to validate template: /)
    assert.include(m, "field `arch`")
    assert.include(m, `got "cray-1"`)
  })

  it("rejects a template without images", () => {
    assert.include(bad(`cpus: 1`), "failed to validate template: field `images` must be set")
  })

  it("rejects bad memory, zero cpus, a bad vmType, and a kernel of another arch", () => {
    assert.include(bad(`memory: lots\nimages: [{location: /x}]`), "field `memory` has an invalid value: invalid size: 'lots'")
    assert.include(bad(`cpus: 0\nimages: [{location: /x}]`), "field `cpus` must be set")
    assert.include(bad(`vmType: vbox\nimages: [{location: /x}]`), "field `vmType`")
    assert.include(
      bad(`images: [{location: /x, kernel: {location: /k, arch: aarch64}}]`),
      `images[0].kernel has unexpected architecture "aarch64", must be "x86_64"`
    )
  })

  it("reports YAML syntax and shape errors as parse failures", () => {
    assert.match(bad(`images: [unclosed`), /^failed to parse template: /)
    assert.match(bad(`cpus: many\nimages: [{location: /x}]`), /^failed to parse template: field `cpus`/)
    assert.match(bad(`- a\n- b`), /^failed to parse template: cannot unmarshal sequence/)
  })
})

describe("LimaTemplate.fromConfigMapData", () => {
  it("uses the admission messages for a missing or empty key", () => {
    const missing = LimaTemplate.fromConfigMapData({ other: "x" })
    assert.isTrue(Either.isLeft(missing))
    if (Either.isLeft(missing)) assert.strictEqual(missing.left.message, `template ConfigMap must have a "template" data entry`)
    const empty = LimaTemplate.fromConfigMapData({ template: "  \n" })
    if (Either.isLeft(empty)) assert.strictEqual(empty.left.message, `"template" data cannot be empty`)
    else assert.fail("expected a rejection")
    assert.deepStrictEqual(LimaTemplate.fromConfigMapData({ template: "cpus: 1" }), Either.right("cpus: 1"))
  })
})

describe("LimaTemplate.parseSize", () => {
  it.each([
    ["512MiB", 512 * 2 ** 20],
    ["2GiB", 2 * 2 ** 30],
    ["4G", 4 * 2 ** 30],
    ["1.5g", 1.5 * 2 ** 30],
    ["1024", 1024],
    ["256 MiB", 256 * 2 ** 20]
  ])("%s", (text, bytes) => assert.strictEqual(LimaTemplate.parseSize(text), bytes))
  it("rejects garbage", () => {
    assert.isUndefined(LimaTemplate.parseSize("lots"))
    assert.isUndefined(LimaTemplate.parseSize("-1G"))
    assert.isUndefined(LimaTemplate.parseSize("1X"))
  })
})

describe("LimaTemplate properties", () => {
  it.prop("every <n><unit> size parses to n times the binary multiplier", [
    FastCheck.nat(1 << 20),
    FastCheck.constantFrom<readonly [string, number]>(["", 1], ["k", 2 ** 10], ["KiB", 2 ** 10], ["M", 2 ** 20], ["MiB", 2 ** 20], ["mb", 2 ** 20], ["G", 2 ** 30], ["GiB", 2 ** 30])
  ], ([n, [unit, factor]]) => {
    assert.strictEqual(LimaTemplate.parseSize(`${n}${unit}`), n * factor)
  })

  it.prop("cpus and memory written in a template come back as numbers", [FastCheck.integer({ min: 1, max: 64 }), FastCheck.integer({ min: 64, max: 65536 })], ([cpus, mib]) => {
    const t = ok(`cpus: ${cpus}\nmemory: ${mib}MiB\nimages: [{location: /x}]`)
    assert.strictEqual(t.cpus, cpus)
    assert.strictEqual(t.memoryBytes, mib * 2 ** 20)
  })
})
