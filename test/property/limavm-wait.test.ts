/**
 * The timing contract of the LimaVM waits (SPEC 1.2, 4.5), with the real
 * controller on the real API engine and the fake driver, on the TestClock: for any
 * boot delay and any budget, `start` succeeds iff the guest boots before the
 * deadline and ends with WaitTimeout (exit 4) otherwise; a VM that cannot start
 * fails at once (exit 1), long before the deadline; `--timeout=0` never times out.
 */
import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, FastCheck as fc, Fiber, Layer, Option, TestClock } from "effect"
import * as Controller from "../../src/controlplane/controllers/limavm/Controller.js"
import * as Deadline from "../../src/domain/Deadline.js"
import { exitCodeOf } from "../../src/domain/ExitCode.js"
import { Core } from "../../src/domain/KubeObject.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as LimaVmOps from "../../src/services/LimaVmOps.js"
import * as Progress from "../../src/services/Progress.js"
import * as FakeVmDriver from "../fakes/FakeVmDriver.js"
import * as EngineFile from "../support/engineFile.js"

const Template = "images:\n- location: /var/lib/rdd/disk.img\n"

// one engine for the file, reset by each run (building one per run cost ~0.2 s a run)
const engine = EngineFile.perFile()

/** Creates a stopped VM, lets the controller settle it, then asks it to start and waits with `budget`. */
const startWithin = (script: FakeVmDriver.VmScript, budget: Duration.Duration, advance: Duration.Duration) =>
  Effect.gen(function*() {
    const kube = yield* engine
    const fake = yield* FakeVmDriver.make
    yield* Controller.start({ kube: kube.client, driver: fake.driver, hostArch: "x86_64" })
    yield* kube.client.create(Core.configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "tpl", namespace: "default" }, data: { template: Template } })
    yield* kube.client.create(LimaVm.LimaVmType, LimaVm.make("default", "vm", { name: "tpl" }, false))
    for (let i = 0; i < 2000; i++) {
      const o = kube.find(LimaVm.LimaVmType, "default", "vm")
      if (o !== undefined && LimaVm.condition(LimaVm.fromObject(o), "Running")?.reason === "Stopped") break
      yield* Effect.yieldNow()
    }
    fake.script("vm", script)
    const patched = LimaVm.fromObject(yield* kube.client.patch(LimaVm.refOf("default", "vm"), { spec: { running: true } }, "merge"))
    const deadline = yield* Deadline.start(budget)
    const fiber = yield* Effect.fork(
      LimaVmOps.awaitRunning(patched, patched.generation, deadline).pipe(
        Effect.provide(Layer.merge(kube.layer, Progress.disabled))
      )
    )
    // let the start happen at t=0, then move time
    for (let i = 0; i < 500; i++) yield* Effect.yieldNow()
    const early = yield* Fiber.poll(fiber)
    yield* TestClock.adjust(advance)
    const exit = yield* Fiber.join(fiber).pipe(Effect.exit)
    return { exit, early }
  })

describe("LimaVM start wait", () => {
  it.effect.prop(
    "succeeds iff the guest boots before the deadline; exit 4 otherwise",
    { boot: fc.integer({ min: 1, max: 30 }), budget: fc.integer({ min: 1, max: 30 }) },
    ({ boot, budget }) =>
      Effect.gen(function*() {
        if (boot === budget) return
        const { exit } = yield* startWithin(
          { bootDelay: Duration.seconds(boot) },
          Duration.seconds(budget),
          Duration.seconds(Math.max(boot, budget) + 1)
        )
        assert.strictEqual(exitCodeOf(exit), boot < budget ? 0 : 4)
      }).pipe(Effect.scoped),
    { fastCheck: { numRuns: 25 } }
  )

  it.scoped("a guest that never boots: exit 4 exactly at the deadline, with what it waited for", () =>
    Effect.gen(function*() {
      const { exit } = yield* startWithin({ neverBoots: true }, Duration.seconds(5), Duration.seconds(5))
      assert.strictEqual(exitCodeOf(exit), 4)
      const err = Exit.isFailure(exit) ? Option.getOrUndefined(Cause.failureOption(exit.cause)) : undefined
      assert.strictEqual(err?._tag, "WaitTimeout")
      assert.include(err?.message ?? "", `timed out after 5s waiting for LimaVM "vm" to be running: context deadline exceeded`)
    }))

  it.scoped("StartFailed ends the wait at once (exit 1), before any time passes", () =>
    Effect.gen(function*() {
      const { early } = yield* startWithin({ startFails: "kernel file missing" }, Duration.minutes(5), Duration.zero)
      assert.isTrue(Option.isSome(early), "finished before the clock moved")
      assert.strictEqual(exitCodeOf(Option.getOrThrow(early)), 1)
    }))

  it.scoped("--timeout=0 never times out", () =>
    Effect.gen(function*() {
      const { exit } = yield* startWithin({ bootDelay: Duration.hours(2) }, Duration.zero, Duration.hours(2))
      assert.strictEqual(exitCodeOf(exit), 0)
    }))
})
