/**
 * `rdd stop` on an App whose VM never got created succeeds and says so; while a
 * wait is stuck on a retrying condition the progress line shows its reason and
 * message, and each change is logged once (non-TTY users see it too). Fake API,
 * TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Logger, Ref, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import { exitCodeFor } from "../../src/domain/ExitCode.js"
import { Core, type Condition, type KubeObject } from "../../src/domain/KubeObject.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as AppSettings from "../../src/services/AppSettings.js"
import * as LimaVmWait from "../../src/services/LimaVmWait.js"
import { Progress } from "../../src/services/Progress.js"
import * as Engine from "../support/engine.js"
import * as Fake from "../support/appApi.js"

const cond = (type: string, status: Condition["status"], reason: string, observedGeneration: number, message = ""): Condition => ({
  type, status, reason, message, observedGeneration, lastTransitionTime: "2026-11-26T00:00:00Z"
})

/** A Progress that records every line drawn, and a logger that records every message. */
const capture = Effect.gen(function*() {
  const drawn = yield* Ref.make<ReadonlyArray<string>>([])
  const logs = yield* Ref.make<ReadonlyArray<string>>([])
  const progress = Layer.succeed(Progress, {
    enabled: true,
    show: (line: string) => Ref.update(drawn, (d) => [...d, line]),
    clear: Effect.void
  })
  const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => {
    Effect.runSync(Ref.update(logs, (l) => [...l, (Array.isArray(message) ? message : [message]).map(String).join(" ")]))
  }))
  return { drawn, logs, layer: Layer.merge(progress, logger) }
})

const createFailed = "cannot fetch https://example.org/debian.qcow2: 404 Not Found"
const neverCreated = (generation: number) => [
  cond("Running", "False", "CreateFailed", generation, createFailed),
  cond("Settled", "False", "CreateFailed", generation, createFailed)
]

describe("rdd stop on an App whose VM never got created", () => {
  it.scoped("exits 0 and says the App is stopped because its VM was never created", () =>
    Effect.gen(function*() {
      const api = yield* Fake.make({ app: Fake.appObject({ running: true }, 1, neverCreated(1)) })
      const c = yield* capture
      const fiber = yield* Effect.fork(
        Effect.flatMap(Deadline.start(Duration.minutes(5)), (d) => AppSettings.stop({ wait: true }, d)).pipe(Effect.provide(Layer.merge(api.layer, c.layer)))
      )
      yield* TestClock.adjust(Duration.seconds(1))
      yield* api.setConditions(neverCreated(2))
      const result = yield* Fiber.join(fiber)
      assert.match(result.message, /^App is stopped: its VM was never created \(CreateFailed: cannot fetch .*404 Not Found\)$/)
      assert.include(yield* Ref.get(c.logs), result.message)
    }))

  it.scoped("a VM that exists: a failed Settled still fails the stop (exit 1)", () =>
    Effect.gen(function*() {
      const vm: KubeObject = { ...LimaVm.make("default", "rd", { name: "rd-template" }, true), status: { conditions: [cond("Created", "True", "Created", 1)] } }
      const api = yield* Fake.make({ app: Fake.appObject({ running: true }, 1), limaVm: vm })
      const c = yield* capture
      const fiber = yield* Effect.fork(
        Effect.flatMap(Deadline.start(Duration.minutes(5)), (d) => AppSettings.stop({ wait: true }, d)).pipe(Effect.provide(Layer.merge(api.layer, c.layer)), Effect.flip)
      )
      yield* TestClock.adjust(Duration.seconds(1))
      yield* api.setConditions([cond("Settled", "False", "StopFailed", 2, "qemu did not exit")])
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(exitCodeFor(e), 1)
      assert.include(e.message, "App cannot settle")
    }))
})

describe("a wait stuck on a retrying condition shows it", () => {
  it.scoped("rdd set: the progress line carries Settled's reason and message; the change is logged once", () =>
    Effect.gen(function*() {
      const api = yield* Fake.make({ app: Fake.appObject({ running: false }, 1) })
      const c = yield* capture
      const fiber = yield* Effect.fork(Effect.gen(function*() {
        const d = yield* Deadline.start(Duration.minutes(5))
        return yield* AppSettings.set(yield* AppSettings.parseArgs(["running=true"]), { dryRun: false, wait: true }, d)
      }).pipe(Effect.provide(Layer.merge(api.layer, c.layer))))
      yield* TestClock.adjust(Duration.seconds(1))
      const retrying = cond("Settled", "False", "WaitingForLimaVM", 2, "download failed: connection refused; retrying in 8s")
      yield* api.setConditions([retrying])
      yield* TestClock.adjust(Duration.seconds(1))
      yield* api.setConditions([retrying]) // the same again: no second log line
      yield* TestClock.adjust(Duration.seconds(1))
      const lines = yield* Ref.get(c.drawn)
      assert.isTrue(
        lines.some((l) => /^waiting for App to settle \(\d+\.\ds of 5m0s\): WaitingForLimaVM: download failed: connection refused; retrying in 8s$/.test(l)),
        lines.slice(-3).join("\n")
      )
      const logged = (yield* Ref.get(c.logs)).filter((l) => l.includes("download failed"))
      assert.deepStrictEqual(logged, ["Settled=False: download failed: connection refused; retrying in 8s (WaitingForLimaVM)"])
      yield* api.setConditions([cond("Settled", "True", "Settled", 2)])
      yield* Fiber.join(fiber)
    }))

  it.scoped("limavm start: the progress line and one info line carry the VM's condition while it retries", () =>
    Effect.gen(function*() {
      const kube = yield* Engine.make()
      const c = yield* capture
      yield* kube.client.create(Core.configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "tpl", namespace: "default" }, data: { template: "x" } })
      const created = LimaVm.fromObject(yield* kube.client.create(LimaVm.LimaVmType, LimaVm.make("default", "vm1", { name: "tpl" }, true)))
      const fiber = yield* Effect.fork(Effect.gen(function*() {
        const d = yield* Deadline.start(Duration.minutes(5))
        return yield* LimaVmWait.until({ namespace: "default", name: "vm1", uid: created.uid }, `LimaVM "vm1" to be running`, d,
          (vm) => LimaVm.condition(vm, "Running")?.status === "True" ? LimaVmWait.done(vm) : LimaVmWait.keepWaiting)
      }).pipe(Effect.provide(Layer.merge(kube.layer, c.layer))))
      yield* TestClock.adjust(Duration.seconds(1))
      const downloading = [cond("Created", "False", "Creating", 1, "download of disk.img failed (timeout); retrying")]
      for (let i = 0; i < 2; i++) {
        yield* kube.client.patchStatus(LimaVm.refOf("default", "vm1"), { status: { conditions: downloading } }, "merge")
        yield* TestClock.adjust(Duration.seconds(1))
      }
      const lines = yield* Ref.get(c.drawn)
      assert.isTrue(lines.some((l) => l.endsWith(`: Created=False: download of disk.img failed (timeout); retrying (Creating)`)), lines.slice(-3).join("\n"))
      assert.deepStrictEqual((yield* Ref.get(c.logs)).filter((l) => l.includes("download")), [
        `LimaVM "vm1": Created=False: download of disk.img failed (timeout); retrying (Creating)`
      ])
      yield* kube.client.patchStatus(LimaVm.refOf("default", "vm1"), { status: { conditions: [cond("Running", "True", "Started", 1)] } }, "merge")
      yield* TestClock.adjust(Duration.seconds(1))
      yield* Fiber.join(fiber)
    }))
})

describe("a LimaVM wait that times out", () => {
  it.scoped("says what it leaves with the VM's condition as last seen", () =>
    Effect.gen(function*() {
      const kube = yield* Engine.make()
      const c = yield* capture
      const created = LimaVm.fromObject(yield* kube.client.create(LimaVm.LimaVmType, LimaVm.make("default", "vm1", { name: "tpl" }, true)))
      yield* kube.client.patchStatus(LimaVm.refOf("default", "vm1"), { status: { conditions: [cond("Created", "False", "Creating", 1, "download failed; retrying")] } }, "merge")
      const fiber = yield* Effect.fork(Effect.gen(function*() {
        const d = yield* Deadline.start(Duration.seconds(5))
        return yield* LimaVmWait.until({ namespace: "default", name: "vm1", uid: created.uid }, `LimaVM "vm1" to be running`, d,
          () => LimaVmWait.keepWaiting, { leftBehind: "the VM keeps starting in the background" })
      }).pipe(Effect.provide(Layer.merge(kube.layer, c.layer)), Effect.flip))
      yield* TestClock.adjust(Duration.seconds(6))
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(exitCodeFor(e), 4)
      assert.match(e.message, /; the VM keeps starting in the background; it last said Created=False: download failed; retrying \(Creating\)$/)
    }))
})
