import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as ControllerSpec from "../../src/domain/ControllerSpec.js"

const sel = (s: string) => Either.getOrThrow(ControllerSpec.parse(s))

describe("ControllerSpec", () => {
  it.each([
    ["*", ["limavm", "app", "engine", "kubernetes", "configmapreplicaset", "notary"]],
    ["engine", ["engine"]],
    ["app,limavm", ["limavm", "app"]],
    ["rdd", ["configmapreplicaset", "notary"]],
    ["rdd.rancherdesktop.io,-notary", ["configmapreplicaset"]],
    ["", []],
    ["app", ["app"]],
    ["lima", ["limavm"]],
    ["lima.rancherdesktop.io", ["limavm"]],
    ["*,-app,-rdd", ["limavm", "engine", "kubernetes"]],
    ["-app,*,-rdd", ["limavm", "engine", "kubernetes"]],
    [" limavm , app ", ["limavm", "app"]],
    ["namespace", []]
  ])("%j selects %j", (spec, expected) => expect(sel(spec)).toEqual(expected))

  it("rejects unknown controllers", () => {
    expect(Either.isLeft(ControllerSpec.parse("bogus"))).toBe(true)
  })

  it("compares selections, not spellings", () => {
    expect(ControllerSpec.sameSelection("*", "app,limavm,engine,kubernetes,rdd")).toBe(true)
    expect(ControllerSpec.sameSelection("*", "app")).toBe(false)
  })
})
