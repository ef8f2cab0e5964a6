/** The fake VmDriver that the LimaVM controller's unit tests use: its scripts and its clock. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Fiber, Option, TestClock } from "effect"
import * as LimaTemplate from "../../src/domain/LimaTemplate.js"
import * as FakeVmDriver from "../fakes/FakeVmDriver.js"

const text = `images: [{location: /img}]`
const template = Either.getOrThrow(LimaTemplate.parse(text))
const spec = (name: string) => ({ name, templateText: text, template })

describe("FakeVmDriver", () => {
  it.effect("boots after the scripted delay on the TestClock", () =>
    Effect.gen(function*() {
      const fake = yield* FakeVmDriver.make
      const d = fake.driver
      fake.script("a", { bootDelay: "3 seconds" })
      yield* d.create(spec("a"))
      assert.deepStrictEqual(yield* d.status("a"), { _tag: "Stopped" })
      const { pid } = yield* d.start("a")
      assert.deepStrictEqual(yield* d.status("a"), { _tag: "Starting", pid })
      const waiting = yield* Effect.fork(d.awaitRunning("a"))
      yield* TestClock.adjust("2 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(waiting)))
      yield* TestClock.adjust("1 second")
      yield* Fiber.join(waiting)
      assert.deepStrictEqual(yield* d.status("a"), { _tag: "Running", pid })
      assert.deepStrictEqual(yield* d.start("a"), { pid })
      assert.strictEqual(fake.vms.get("a")!.boots, 1)
    }))

  it.effect("never boots; crash during boot fails awaitRunning; crash of a running VM ends awaitExit", () =>
    Effect.gen(function*() {
      const fake = yield* FakeVmDriver.make
      const d = fake.driver
      fake.script("nb", { neverBoots: true })
      fake.script("cr", { crashDuringBoot: "1 second" })
      yield* d.create(spec("nb"))
      yield* d.create(spec("cr"))
      yield* d.create(spec("ok"))
      yield* d.start("nb")
      yield* d.start("cr")
      yield* d.start("ok")
      const nb = yield* Effect.fork(d.awaitRunning("nb"))
      const cr = yield* Effect.fork(Effect.flip(d.awaitRunning("cr")))
      const exit = yield* Effect.fork(d.awaitExit("ok"))
      yield* TestClock.adjust("1 minute")
      assert.isTrue(Option.isNone(yield* Fiber.poll(nb)))
      assert.strictEqual((yield* Fiber.join(cr))._tag, "StartFailed")
      assert.deepStrictEqual(yield* d.status("cr"), { _tag: "Stopped" })
      assert.isTrue(Option.isNone(yield* Fiber.poll(exit)))
      yield* fake.crash("ok")
      yield* Fiber.join(exit)
      assert.deepStrictEqual(yield* d.status("ok"), { _tag: "Stopped" })
      yield* Fiber.interrupt(nb)
    }))

  it.effect("scripted failures are typed", () =>
    Effect.gen(function*() {
      const fake = yield* FakeVmDriver.make
      const d = fake.driver
      fake.script("x", { createFails: "no disk" })
      assert.deepStrictEqual((yield* Effect.flip(d.create(spec("x")))).message, "no disk")
      fake.clearScript("x")
      yield* d.create(spec("x"))
      fake.script("x", { startFails: "no kernel" })
      assert.strictEqual((yield* Effect.flip(d.start("x")))._tag, "StartFailed")
      fake.clearScript("x")
      yield* d.start("x")
      fake.script("x", { stopFails: "stuck" })
      assert.strictEqual((yield* Effect.flip(d.stop("x")))._tag, "StopFailed")
      assert.strictEqual((yield* d.status("x"))._tag, "Running")
      fake.clearScript("x")
      yield* d.delete("x")
      assert.deepStrictEqual(yield* d.status("x"), { _tag: "Absent" })
      assert.deepStrictEqual(fake.calls, ["create x", "create x", "start x", "start x", "stop x", "delete x"])
    }))

  it.effect("a slow stop of one VM takes clock time without blocking another VM's start", () =>
    Effect.gen(function*() {
      const fake = yield* FakeVmDriver.make
      const d = fake.driver
      fake.script("slow", { ignoresPowerButton: true })
      yield* d.create(spec("slow"))
      yield* d.create(spec("fast"))
      yield* d.start("slow")
      const stopping = yield* Effect.fork(d.stop("slow", { grace: "30 seconds" }))
      yield* d.start("fast")
      assert.strictEqual((yield* d.status("fast"))._tag, "Running")
      assert.strictEqual((yield* d.status("slow"))._tag, "Running")
      yield* TestClock.adjust("30 seconds")
      yield* Fiber.join(stopping)
      assert.deepStrictEqual(yield* d.status("slow"), { _tag: "Stopped" })
      assert.deepStrictEqual(fake.completions, ["create slow done", "create fast done", "start slow done", "start fast done", "stop slow done"])
    }))

  it.effect("a frozen VM is Broken for adopt, still up for status, and stop kills it after the QMP timeout", () =>
    Effect.gen(function*() {
      const fake = yield* FakeVmDriver.make
      const d = fake.driver
      yield* d.create(spec("fz"))
      const { pid } = yield* d.start("fz")
      fake.freeze("fz")
      assert.deepStrictEqual(yield* d.status("fz"), { _tag: "Running", pid })
      assert.strictEqual((yield* d.adopt("fz"))._tag, "Broken")
      const stopping = yield* Effect.fork(d.stop("fz", { grace: "30 seconds" }))
      yield* TestClock.adjust(FakeVmDriver.FrozenStopDelay)
      yield* Fiber.join(stopping)
      assert.deepStrictEqual(yield* d.status("fz"), { _tag: "Stopped" })
      yield* d.start("fz")
      assert.strictEqual((yield* d.adopt("fz"))._tag, "Running", "a new boot is not frozen")
    }))
})
