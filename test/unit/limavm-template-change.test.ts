/** `limavm create` on an existing VM: the same template is fine, any other is named. */
import { assert, describe, it } from "@effect/vitest"
import * as TemplateChange from "../../src/domain/limavm/TemplateChange.js"

describe("TemplateChange.difference", () => {
  const existing = { templateRef: "vm1", text: "cpus: 1\nmemory: 1GiB\n" }

  it("same ConfigMap, or a file with the same text: no difference", () => {
    assert.isUndefined(TemplateChange.difference(existing, { _tag: "ConfigMap", name: "vm1" }))
    assert.isUndefined(TemplateChange.difference(existing, { _tag: "File", path: "./a.yaml", configMap: "vm1", text: existing.text }))
  })

  it("another ConfigMap: names both", () => {
    assert.strictEqual(TemplateChange.difference(existing, { _tag: "ConfigMap", name: "other" }), `template ConfigMap "vm1", not "other"`)
  })

  it("a file with other text: names the file and the first differing line", () => {
    assert.strictEqual(
      TemplateChange.difference(existing, { _tag: "File", path: "other.yaml", configMap: "vm1", text: "cpus: 1\nmemory: 2GiB\n" }),
      `a template that differs from file "other.yaml" (line 2: "memory: 1GiB" now "memory: 2GiB")`
    )
  })

  it("a file for a VM made from another ConfigMap, or one whose template cannot be read: a difference", () => {
    assert.match(TemplateChange.difference({ templateRef: "shared", text: "x" }, { _tag: "File", path: "f.yaml", configMap: "vm1", text: "x" })!, /"shared", not one made from file "f.yaml"/)
    assert.match(TemplateChange.difference({ templateRef: "vm1", text: undefined }, { _tag: "File", path: "f.yaml", configMap: "vm1", text: "x" })!, /cannot be read/)
  })

  it("firstDifference: a shorter text ends", () => {
    assert.strictEqual(TemplateChange.firstDifference("a\nb", "a"), `line 2: "b" now (end of text)`)
  })
})
