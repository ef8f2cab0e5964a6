/**
 * The API's resource registry (apiserver/Registry.ts): lookups come from a list
 * and index built once per change of the CRDs, so they must follow every change.
 */
import { describe, expect, it } from "@effect/vitest"
import * as Registry from "../../src/controlplane/apiserver/Registry.js"

const widget = (version: string, crd = "widgets.example.com"): Registry.ResourceInfo => ({
  group: "example.com",
  version,
  resource: "widgets",
  singular: "widget",
  kind: "Widget",
  listKind: "WidgetList",
  namespaced: true,
  shortNames: [],
  categories: [],
  statusSubresource: false,
  crd
})

describe("Registry", () => {
  it("finds built-in resources", () => {
    const reg = Registry.make()
    expect(reg.find("", "v1", "configmaps")?.kind).toBe("ConfigMap")
    expect(reg.find("apps", "v1", "configmaps")).toBeUndefined()
    expect(reg.all()).toBe(reg.all())
  })

  it("follows CRDs as they are registered, replaced and removed", () => {
    const reg = Registry.make()
    const before = reg.all()
    expect(reg.find("example.com", "v1", "widgets")).toBeUndefined()
    reg.registerCrd("widgets.example.com", [widget("v1")])
    expect(reg.find("example.com", "v1", "widgets")?.version).toBe("v1")
    expect(reg.all()).toHaveLength(before.length + 1)
    expect(reg.findKind("example.com/v1", "Widget")?.resource).toBe("widgets")
    // a new version of the CRD replaces the old one
    reg.registerCrd("widgets.example.com", [widget("v2")])
    expect(reg.find("example.com", "v1", "widgets")).toBeUndefined()
    expect(reg.find("example.com", "v2", "widgets")?.version).toBe("v2")
    reg.unregisterCrd("widgets.example.com")
    expect(reg.find("example.com", "v2", "widgets")).toBeUndefined()
    expect(reg.all()).toHaveLength(before.length)
  })

  it("a CRD never shadows a built-in resource of the same group, version and name", () => {
    const reg = Registry.make()
    const builtin = reg.find("", "v1", "configmaps")
    reg.registerCrd("configmaps", [{ ...widget("v1", "configmaps"), group: "", resource: "configmaps", kind: "Impostor" }])
    expect(reg.find("", "v1", "configmaps")).toBe(builtin)
  })
})
