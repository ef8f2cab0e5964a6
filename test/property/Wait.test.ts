/**
 * The wait primitive's timing contract, on virtual time: a deadline fires at
 * exactly its budget, `0` never fires, success before the deadline wins, and
 * every phase shares one budget.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Exit, FastCheck as fc, Fiber, Logger, Option, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import { WaitTimeout } from "../../src/domain/Errors.js"
import { waitFor } from "../../src/services/Wait.js"

describe("waitFor", () => {
  it.effect("a 5m deadline fires at exactly 5m of virtual time", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.start(Duration.minutes(5))
      const fiber = yield* Effect.fork(waitFor("the thing", deadline, Effect.never, { leftBehind: "nothing" }))
      yield* TestClock.adjust(Duration.subtract(Duration.minutes(5), Duration.millis(1)))
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)), "must still wait 1ms before the deadline")
      yield* TestClock.adjust(Duration.millis(1))
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      assert.instanceOf(error, WaitTimeout)
      assert.strictEqual(
        error.message,
        "timed out after 5m0s waiting for the thing: context deadline exceeded; nothing"
      )
    }))

  it.effect("Ctrl-C says what is left behind, once; a timeout does not say it was interrupted", () =>
    Effect.gen(function*() {
      const logs: Array<string> = []
      const capture = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => void logs.push(String(message))))
      const deadline = yield* Deadline.start(Duration.minutes(5))
      const interrupted = yield* Effect.fork(waitFor("the thing", deadline, Effect.never, { leftBehind: "it goes on" }).pipe(Effect.provide(capture)))
      yield* TestClock.adjust(Duration.seconds(1))
      yield* Fiber.interrupt(interrupted)
      assert.deepStrictEqual(logs, ["interrupted while waiting for the thing; it goes on"])
      logs.length = 0
      const timedOut = yield* Effect.fork(waitFor("the thing", deadline, Effect.never, { leftBehind: "it goes on" }).pipe(Effect.provide(capture)))
      yield* TestClock.adjust(Duration.minutes(5))
      assert.isTrue(Exit.isFailure(yield* Fiber.await(timedOut)))
      assert.deepStrictEqual(logs, [])
    }))

  it.effect("0 means forever: never fires", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.start(Duration.zero)
      const fiber = yield* Effect.fork(waitFor("x", deadline, Effect.never))
      yield* TestClock.adjust(Duration.days(3650))
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* Fiber.interrupt(fiber)
    }))

  it.effect.prop(
    "success before the deadline wins; otherwise exit is a WaitTimeout at the budget",
    { budgetMs: fc.integer({ min: 1, max: 600_000 }), readyMs: fc.integer({ min: 0, max: 600_000 }) },
    ({ budgetMs, readyMs }) =>
      Effect.gen(function*() {
        const deadline = yield* Deadline.start(Duration.millis(budgetMs))
        const fiber = yield* Effect.fork(
          waitFor("ready", deadline, Effect.as(Effect.sleep(Duration.millis(readyMs)), "ready"))
        )
        yield* TestClock.adjust(Duration.millis(Math.max(budgetMs, readyMs)))
        const exit = yield* Fiber.await(fiber)
        if (readyMs < budgetMs) assert.deepStrictEqual(exit, Exit.succeed("ready"))
        else assert.isTrue(Exit.isFailure(exit))
      }),
    { fastCheck: { numRuns: 50 } }
  )

  it.effect("phases share one deadline: the second phase only gets what remains", () =>
    Effect.gen(function*() {
      const deadline = yield* Deadline.start(Duration.seconds(90))
      const program = Effect.gen(function*() {
        yield* waitFor("phase 1", deadline, Effect.sleep(Duration.seconds(60)))
        yield* waitFor("phase 2", deadline, Effect.sleep(Duration.seconds(60)))
      })
      const fiber = yield* Effect.fork(program)
      yield* TestClock.adjust(Duration.seconds(90))
      const error = yield* Fiber.join(fiber).pipe(Effect.flip)
      assert.instanceOf(error, WaitTimeout)
      assert.strictEqual(error.what, "phase 2")
      assert.strictEqual(Duration.toSeconds(error.budget), 90)
    }))

  it.effect("capped deadlines never run past their parent (autostart: min(90s, remaining))", () =>
    Effect.gen(function*() {
      const parent = yield* Deadline.start(Duration.seconds(120))
      yield* TestClock.adjust(Duration.seconds(100))
      const cap = yield* Deadline.capped(parent, Duration.seconds(90))
      assert.strictEqual(Duration.toSeconds(yield* Deadline.remaining(cap)), 20)
      assert.strictEqual(Duration.toSeconds(cap.budget), 120, "a timeout names the user's budget")
      const forever = yield* Deadline.start(Duration.zero)
      const cap2 = yield* Deadline.capped(forever, Duration.seconds(90))
      assert.strictEqual(Duration.toSeconds(cap2.budget), 90)
      const early = yield* Deadline.start(Duration.minutes(5))
      const cap3 = yield* Deadline.capped(early, Duration.seconds(90))
      assert.strictEqual(Duration.toSeconds(cap3.budget), 90)
    }))
})
