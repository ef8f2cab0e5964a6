/**
 * The store's write lock (storage/WriteLock.ts): one holder at a time, taken
 * without suspending when free, released however the holder ends, and no waiter
 * stranded by another waiter's interruption.
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber, FastCheck as fc, TestClock } from "effect"
import * as WriteLock from "../../src/controlplane/storage/WriteLock.js"

describe("WriteLock", () => {
  it("a free lock is taken without suspending: a forked write is done when the fork returns", () => {
    // what the API's request runner relies on to answer inline (Http.ts `run`); with
    // Effect's Semaphore the fiber is still pending here, resumed later from the scheduler
    const lock = WriteLock.make()
    for (const n of [42, 43]) {
      const fiber = Effect.runFork(lock.withLock(Effect.succeed(n)))
      expect(fiber.unsafePoll()).toEqual(Exit.succeed(n))
    }
  })

  it("is released after a failure, a defect and an interruption of the holder", () => {
    const lock = WriteLock.make()
    expect(Exit.isFailure(Effect.runSyncExit(lock.withLock(Effect.fail("no"))))).toBe(true)
    expect(Exit.isFailure(Effect.runSyncExit(lock.withLock(Effect.die("bug"))))).toBe(true)
    expect(Exit.isInterrupted(Effect.runSyncExit(lock.withLock(Effect.interrupt)))).toBe(true)
    expect(Effect.runSyncExit(lock.withLock(Effect.succeed("free")))).toEqual(Exit.succeed("free"))
  })

  it.effect("a second writer waits for the first to finish", () =>
    Effect.gen(function*() {
      const lock = WriteLock.make()
      const order: Array<string> = []
      const gate = yield* Deferred.make<void>()
      const first = yield* Effect.fork(lock.withLock(Effect.gen(function*() {
        order.push("first in")
        yield* Deferred.await(gate)
        order.push("first out")
      })))
      yield* Effect.yieldNow()
      const second = yield* Effect.fork(lock.withLock(Effect.sync(() => order.push("second"))))
      yield* Effect.yieldNow()
      expect(order).toEqual(["first in"])
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(first)
      yield* Fiber.join(second)
      expect(order).toEqual(["first in", "first out", "second"])
    }))

  it.effect("an interrupted waiter neither takes the lock nor strands the waiters behind it", () =>
    Effect.gen(function*() {
      const lock = WriteLock.make()
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(lock.withLock(Deferred.await(gate)))
      yield* Effect.yieldNow()
      const ran: Array<string> = []
      const quitter = yield* Effect.fork(lock.withLock(Effect.sync(() => ran.push("quitter"))))
      const patient = yield* Effect.fork(lock.withLock(Effect.sync(() => ran.push("patient"))))
      yield* Effect.yieldNow()
      yield* Fiber.interrupt(quitter)
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      yield* Fiber.join(patient)
      expect(ran).toEqual(["patient"])
      // and the lock is free again
      expect(yield* lock.withLock(Effect.succeed("after"))).toBe("after")
    }))

  it.effect.prop(
    "any mix of writers that sleep, fail or are interrupted: never two holders, and every survivor runs",
    [fc.array(fc.record({ sleepMs: fc.integer({ min: 0, max: 20 }), fails: fc.boolean(), interruptAfterMs: fc.option(fc.integer({ min: 0, max: 30 })) }), { minLength: 1, maxLength: 12 })],
    ([writers]) =>
      Effect.gen(function*() {
        const lock = WriteLock.make()
        let holders = 0
        let most = 0
        const finished: Array<number> = []
        const fibers = yield* Effect.forEach(writers, (w, i) =>
          Effect.fork(lock.withLock(Effect.gen(function*() {
            holders++
            most = Math.max(most, holders)
            yield* Effect.sleep(`${w.sleepMs} millis`).pipe(Effect.ensuring(Effect.sync(() => holders--)))
            finished.push(i)
            if (w.fails) return yield* Effect.fail(i)
          }))))
        yield* Effect.forEach(writers, (w, i) =>
          w.interruptAfterMs === null ? Effect.void : Effect.fork(Effect.delay(Fiber.interrupt(fibers[i]!), `${w.interruptAfterMs} millis`)))
        yield* TestClock.adjust("1 second")
        const exits = yield* Effect.forEach(fibers, Fiber.await)
        expect(most).toBeLessThanOrEqual(1)
        expect(holders).toBe(0)
        exits.forEach((exit, i) => {
          if (!Exit.isInterrupted(exit)) expect(finished).toContain(i)
        })
        expect(yield* lock.withLock(Effect.succeed("free"))).toBe("free")
      })
  )

  describe("tryNow", () => {
    it("runs a synchronous body at once when free, and leaves the lock free", () => {
      const lock = WriteLock.make()
      expect(lock.tryNow(() => "done")).toEqual({ value: "done" })
      expect(lock.tryNow(() => "again")).toEqual({ value: "again" })
      expect(Effect.runSyncExit(lock.withLock(Effect.succeed("free")))).toEqual(Exit.succeed("free"))
    })

    it("does not run the body while another writer holds the lock", () =>
      Effect.runPromise(Effect.gen(function*() {
        const lock = WriteLock.make()
        const gate = yield* Deferred.make<void>()
        const holder = yield* Effect.fork(lock.withLock(Deferred.await(gate)))
        yield* Effect.yieldNow()
        let ran = false
        expect(lock.tryNow(() => (ran = true))).toBeUndefined()
        expect(ran).toBe(false)
        yield* Deferred.succeed(gate, undefined)
        yield* Fiber.join(holder)
        expect(lock.tryNow(() => "after")).toEqual({ value: "after" })
      })))

    it("is released when the body throws, and a writer that waited meanwhile is not stranded", () =>
      Effect.runPromise(Effect.gen(function*() {
        const lock = WriteLock.make()
        expect(() => lock.tryNow(() => {
          throw new Error("bug")
        })).toThrow("bug")
        expect(lock.tryNow(() => "free")).toEqual({ value: "free" })
        // a writer that asks while tryNow holds the lock waits, and is woken by its release
        const order: Array<string> = []
        const inside = lock.tryNow(() => {
          const waiter = Effect.runFork(lock.withLock(Effect.sync(() => order.push("waiter"))))
          order.push("inside")
          return waiter
        })
        yield* Fiber.join(inside!.value)
        expect(order).toEqual(["inside", "waiter"])
      })))
  })
})
