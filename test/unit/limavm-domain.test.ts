/**
 * The pure LimaVM domain: condition bookkeeping (transition time moves only on a
 * status flip, long messages truncated), VM name rules, reading API objects, and
 * the backoff schedule.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration } from "effect"
import { backoff } from "../../src/controlplane/controllers/limavm/Reconciler.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as Conditions from "../../src/domain/limavm/Conditions.js"
import { validateVmName } from "../../src/domain/limavm/Names.js"

describe("conditions", () => {
  const starting = { type: "Running", status: "False" as const, reason: "Starting", message: "Lima instance is starting" }
  it("a new condition gets the current time; same status keeps its transition time; a flip moves it", () => {
    const a = Conditions.set([], starting, "2026-11-26T10:00:00Z")
    assert.isTrue(a.changed)
    assert.strictEqual(a.conditions[0]?.lastTransitionTime, "2026-11-26T10:00:00Z")
    const same = Conditions.set(a.conditions, starting, "2026-11-26T10:00:09Z")
    assert.isFalse(same.changed)
    const stopped = Conditions.set(a.conditions, { ...starting, reason: "Stopped", message: "x" }, "2026-11-26T10:00:05Z")
    assert.isTrue(stopped.changed)
    assert.strictEqual(stopped.conditions[0]?.lastTransitionTime, "2026-11-26T10:00:00Z", "False -> False keeps the time")
    const started = Conditions.set(a.conditions, { ...starting, status: "True", reason: "Started" }, "2026-11-26T10:00:07Z")
    assert.strictEqual(started.conditions[0]?.lastTransitionTime, "2026-11-26T10:00:07Z")
  })
  it("messages are capped at 32768 characters, ending in '… (truncated)'", () => {
    const long = Conditions.truncateMessage("x".repeat(40000))
    assert.strictEqual(Array.from(long).length, Conditions.MaxMessageLength)
    assert.isTrue(long.endsWith("… (truncated)"))
    assert.strictEqual(Conditions.truncateMessage("short"), "short")
  })
  it("timestamps are RFC 3339 with seconds", () => {
    assert.strictEqual(Conditions.timestamp(Date.parse("2026-11-26T10:00:00.987Z")), "2026-11-26T10:00:00Z")
  })
})

describe("VM names", () => {
  it("DNS labels without doubled separators, and a socket path that fits", () => {
    assert.deepStrictEqual(validateVmName("vm1"), [])
    assert.isNotEmpty(validateVmName("Bad_Name"))
    assert.isNotEmpty(validateVmName("a.b"))
    assert.isNotEmpty(validateVmName("a--b"))
    assert.isNotEmpty(validateVmName("x".repeat(64)))
    assert.deepStrictEqual(validateVmName("vm1", "/home/u/.rd2/lima"), [])
    assert.match(validateVmName("vm1", `/home/${"u".repeat(90)}/.rd2/lima`)[0] ?? "", /socket path/)
  })
})

describe("LimaVM objects", () => {
  it("reads spec, status and derived names; absent fields have their defaults", () => {
    const vm = LimaVm.fromObject({
      ...LimaVm.make("ns", "vm1", { name: "tpl" }, true),
      metadata: { name: "vm1", namespace: "ns", uid: "u1", generation: 3, annotations: { [LimaVm.RestartRequestedAnnotation]: "t" } },
      status: { conditions: [{ type: "Running", status: "True", reason: "Started" }, { bogus: 1 }], restartCount: 2 }
    })
    assert.strictEqual(vm.spec.running, true)
    assert.strictEqual(LimaVm.templateNamespace(vm), "ns")
    assert.strictEqual(vm.status.conditions.length, 1)
    assert.strictEqual(vm.status.restartCount, 2)
    assert.isFalse(vm.status.restartNeeded)
    assert.strictEqual(LimaVm.templateCopyName(vm.name), "vm1-template")
    assert.strictEqual(LimaVm.condition(vm, "Running")?.reason, "Started")
  })
})

describe("backoff", () => {
  it("doubles from the initial delay and stops at the cap", () => {
    const d = (n: number) => Duration.toSeconds(backoff(n, Duration.seconds(1), Duration.seconds(60)))
    assert.deepStrictEqual([1, 2, 3, 4, 5, 6, 7, 8, 50].map(d), [1, 2, 4, 8, 16, 32, 60, 60, 60])
  })
})
