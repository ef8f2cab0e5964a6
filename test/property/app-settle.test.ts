/**
 * The `rdd set` timing contract over random histories: for any sequence of
 * App condition updates at any times and any budget, `set` succeeds iff a
 * `Settled=True` with observedGeneration >= the written generation arrives
 * before the deadline, and otherwise ends with exit 4 (the real API engine + TestClock,
 * no real waiting). A current `Settled=False` with a `...Failed` reason (the VM
 * cannot be created or started) ends the wait at once with exit 1 instead.
 */
import { assert, it } from "@effect/vitest"
import { Duration, Effect, Exit, FastCheck as fc, Fiber, Layer, Logger, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import { exitCodeOf } from "../../src/domain/ExitCode.js"
import type { Condition } from "../../src/domain/KubeObject.js"
import * as AppSettings from "../../src/services/AppSettings.js"
import * as Progress from "../../src/services/Progress.js"
import * as Fake from "../support/appApi.js"
import * as EngineFile from "../support/engineFile.js"

const condition = fc.record({
  type: fc.constantFrom("Settled", "Running", "Created", "KubernetesReady"),
  status: fc.constantFrom("True" as const, "False" as const, "Unknown" as const),
  reason: fc.constantFrom("Settled", "Starting", "Started", "Stopped", "ApplyingTemplate", "WaitingForLimaVM", "StartFailed"),
  // around the written generation (initial generation + 1)
  generationOffset: fc.integer({ min: -2, max: 1 })
})

const update = fc.record({
  /** ms after the write */
  at: fc.integer({ min: 0, max: 12_000 }),
  // a list map keyed by type (the CRD's schema): one condition of each type at most
  conditions: fc.uniqueArray(condition, { maxLength: 3, selector: (c) => c.type })
})

const history = fc.record({
  initialGeneration: fc.integer({ min: 1, max: 5 }),
  budgetMs: fc.integer({ min: 1, max: 10_000 }),
  updates: fc.array(update, { maxLength: 6 }).map((us) => [...us].sort((a, b) => a.at - b.at))
}).filter((h) => h.updates.every((u) => u.at !== h.budgetMs)) // an update exactly at the deadline races it

// one engine for every run, reset by each (building one per run cost ~0.2 s a run)
const engine = EngineFile.perFile()

it.effect.prop("set succeeds iff Settled=True at the written generation is seen before the deadline (exit 4 otherwise, 1 on a failure)", [history], ([h]) =>
  Effect.gen(function*() {
    const target = h.initialGeneration + 1
    const api = yield* Fake.make({ app: Fake.appObject({ running: false }, h.initialGeneration) }, engine)
    const toConditions = (cs: ReadonlyArray<{ type: string; status: Condition["status"]; reason: string; generationOffset: number }>): ReadonlyArray<Condition> =>
      cs.map((c) => ({
        type: c.type,
        status: c.status,
        reason: c.reason,
        message: "",
        observedGeneration: target + c.generationOffset,
        // required by the App CRD's schema, as the controller always writes it
        lastTransitionTime: "2026-11-26T00:00:00Z"
      }))
    // The model: the first update before the deadline whose first current Settled is True (success)
    // or False with a Failed reason (exit 1) decides; otherwise the deadline does (exit 4).
    let expectedCode = 4
    for (const u of h.updates) {
      if (u.at >= h.budgetMs) break
      const settled = u.conditions.find((c) => c.type === "Settled" && c.generationOffset >= 0)
      if (settled?.status === "True") expectedCode = 0
      else if (settled?.status === "False" && settled.reason.endsWith("Failed")) expectedCode = 1
      if (expectedCode !== 4) break
    }
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
    assert.strictEqual(exitCodeOf(exit), expectedCode, JSON.stringify(h))
    assert.strictEqual(Exit.isSuccess(exit), expectedCode === 0)
  }).pipe(Effect.scoped), { fastCheck: { numRuns: 100 } })
