/**
 * The `rdd set` timing contract over random histories: for any sequence of
 * App condition updates at any times and any budget, `set` succeeds iff a
 * `Settled=True` with observedGeneration >= the written generation arrives
 * before the deadline, and otherwise ends with exit 4 (fake API + TestClock,
 * no real waiting). Failure reasons (`*Failed`, which end the wait at once with
 * exit 1) are covered by the unit tests and left out of the histories here.
 */
import { assert, it } from "@effect/vitest"
import { Duration, Effect, Exit, FastCheck as fc, Fiber, Layer, Logger, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import { exitCodeOf } from "../../src/domain/ExitCode.js"
import type { Condition } from "../../src/domain/KubeObject.js"
import * as AppSettings from "../../src/services/AppSettings.js"
import * as Progress from "../../src/services/Progress.js"
import * as Fake from "../unit/app-fake-kube.js"

const condition = fc.record({
  type: fc.constantFrom("Settled", "Running", "Created", "KubernetesReady"),
  status: fc.constantFrom("True" as const, "False" as const, "Unknown" as const),
  reason: fc.constantFrom("Settled", "Starting", "Started", "Stopped", "ApplyingTemplate", "WaitingForLimaVM"),
  // around the written generation (initial generation + 1)
  generationOffset: fc.integer({ min: -2, max: 1 })
})

const update = fc.record({
  /** ms after the write */
  at: fc.integer({ min: 0, max: 12_000 }),
  conditions: fc.array(condition, { maxLength: 3 })
})

const history = fc.record({
  initialGeneration: fc.integer({ min: 1, max: 5 }),
  budgetMs: fc.integer({ min: 1, max: 10_000 }),
  updates: fc.array(update, { maxLength: 6 }).map((us) => [...us].sort((a, b) => a.at - b.at))
}).filter((h) => h.updates.every((u) => u.at !== h.budgetMs)) // an update exactly at the deadline races it

it.effect.prop("set succeeds iff Settled=True at the written generation is seen before the deadline", [history], ([h]) =>
  Effect.gen(function*() {
    const target = h.initialGeneration + 1
    const api = yield* Fake.make({ app: Fake.appObject({ running: false }, h.initialGeneration) })
    const toConditions = (cs: ReadonlyArray<{ type: string; status: Condition["status"]; reason: string; generationOffset: number }>): ReadonlyArray<Condition> =>
      cs.map((c) => ({
        type: c.type,
        status: c.status,
        reason: c.reason,
        message: "",
        observedGeneration: target + c.generationOffset
      }))
    const expected = h.updates.some((u) =>
      u.at < h.budgetMs && u.conditions.some((c) => c.type === "Settled" && c.status === "True" && c.generationOffset >= 0)
    )
    const program = Effect.gen(function*() {
      const deadline = yield* Deadline.start(Duration.millis(h.budgetMs))
      return yield* AppSettings.set([{ path: "running", raw: "true" }], { dryRun: false, wait: true }, deadline)
    }).pipe(Effect.provide(Layer.mergeAll(api.layer, Progress.disabled, Logger.remove(Logger.defaultLogger))))
    const fiber = yield* Effect.fork(program)
    // Let the write happen, then play the history on the clock.
    yield* TestClock.adjust(Duration.zero)
    let now = 0
    for (const u of h.updates) {
      if (u.at > h.budgetMs) break
      yield* TestClock.adjust(Duration.millis(u.at - now))
      now = u.at
      yield* api.setConditions(toConditions(u.conditions))
    }
    yield* TestClock.adjust(Duration.millis(h.budgetMs + 1 - now))
    const exit = yield* Fiber.await(fiber)
    assert.strictEqual(Exit.isSuccess(exit), expected, JSON.stringify(h))
    assert.strictEqual(exitCodeOf(exit), expected ? 0 : 4)
  }), { fastCheck: { numRuns: 100 } })
