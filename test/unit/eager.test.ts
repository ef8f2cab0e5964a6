/**
 * Eager composition (src/controlplane/Eager.ts): finished steps run during the
 * call and give an Exit; the first unfinished step hands the rest to Effect, and
 * the outcome, and the order in which the steps ran, are those of Effect.gen.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, FastCheck as fc } from "effect"
import * as Eager from "../../src/controlplane/Eager.js"

type Step =
  | { readonly kind: "done"; readonly value: number }
  | { readonly kind: "later"; readonly value: number }
  | { readonly kind: "failed"; readonly error: string }
  | { readonly kind: "failsLater"; readonly error: string }
  | { readonly kind: "throws" }

/** A step as an effect; `trace` records when its effect actually ran. */
const effectOf = (step: Step, trace: Array<string>, i: number): Effect.Effect<number, string> => {
  switch (step.kind) {
    case "done":
      trace.push(`ran ${i}`)
      return Exit.succeed(step.value)
    case "failed":
      trace.push(`ran ${i}`)
      return Exit.fail(step.error)
    case "later":
      return Effect.zipRight(Effect.yieldNow(), Effect.sync(() => (trace.push(`ran ${i}`), step.value)))
    case "failsLater":
      return Effect.zipRight(Effect.yieldNow(), Effect.suspend(() => (trace.push(`ran ${i}`), Effect.fail(step.error))))
    case "throws":
      throw new Error(`bug at ${i}`)
  }
}

const program = (make: typeof Effect.gen | typeof Eager.gen, steps: ReadonlyArray<Step>, trace: Array<string>) =>
  (make as typeof Eager.gen)(function*() {
    let sum = 0
    for (const [i, step] of steps.entries()) {
      trace.push(`step ${i}`)
      sum += yield* effectOf(step, trace, i)
    }
    trace.push("end")
    return sum
  })

const stepArb: fc.Arbitrary<Step> = fc.oneof(
  fc.record({ kind: fc.constant("done" as const), value: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant("later" as const), value: fc.integer({ min: 0, max: 9 }) }),
  fc.record({ kind: fc.constant("failed" as const), error: fc.constantFrom("a", "b") }),
  fc.record({ kind: fc.constant("failsLater" as const), error: fc.constantFrom("c", "d") }),
  fc.constant({ kind: "throws" as const })
)

describe("Eager.gen", () => {
  it("runs during the call and gives an Exit when every step is finished", () => {
    const trace: Array<string> = []
    const result = program(Eager.gen, [{ kind: "done", value: 1 }, { kind: "done", value: 2 }], trace)
    expect(trace).toEqual(["step 0", "ran 0", "step 1", "ran 1", "end"])
    expect(Exit.isExit(result)).toBe(true)
    expect(result).toEqual(Exit.succeed(3))
  })

  it("stops at a finished failure without running the rest", () => {
    const trace: Array<string> = []
    const result = program(Eager.gen, [{ kind: "failed", error: "no" }, { kind: "done", value: 2 }], trace)
    expect(trace).toEqual(["step 0", "ran 0"])
    expect(result).toEqual(Exit.fail("no"))
  })

  it("hands the rest to Effect at the first unfinished step: nothing after it runs until the effect is run", () => {
    const trace: Array<string> = []
    const result = program(Eager.gen, [{ kind: "done", value: 1 }, { kind: "later", value: 2 }, { kind: "done", value: 3 }], trace)
    expect(Exit.isExit(result)).toBe(false)
    expect(trace).toEqual(["step 0", "ran 0", "step 1"])
    expect(Effect.runSync(result)).toBe(6)
    expect(trace).toEqual(["step 0", "ran 0", "step 1", "ran 1", "step 2", "ran 2", "end"])
  })

  it("turns a throw into a defect, as Effect.gen does", () => {
    const result = program(Eager.gen, [{ kind: "throws" }], [])
    expect(Exit.isExit(result) && Exit.isFailure(result) && result.cause._tag === "Die").toBe(true)
  })

  it.prop("any mix of steps: the outcome and the order the steps ran in are Effect.gen's", [fc.array(stepArb, { maxLength: 8 })], ([steps]) => {
    const lazyTrace: Array<string> = []
    const eagerTrace: Array<string> = []
    const lazy = Effect.runSyncExit(program(Effect.gen, steps, lazyTrace))
    const eager = Effect.runSyncExit(program(Eager.gen, steps, eagerTrace))
    expect(eagerTrace).toEqual(lazyTrace)
    expect(Exit.isSuccess(eager)).toBe(Exit.isSuccess(lazy))
    if (Exit.isSuccess(lazy)) expect(eager).toEqual(lazy)
    else expect(JSON.stringify(Exit.isFailure(eager) ? eager.cause : null)).toEqual(JSON.stringify(lazy.cause))
  })
})

describe("Eager.flatMap and mapError", () => {
  it("apply now to a finished effect, and defer to Effect otherwise", () => {
    expect(Eager.flatMap(Exit.succeed(2), (n) => Exit.succeed(n * 3))).toEqual(Exit.succeed(6))
    expect(Eager.mapError(Exit.fail("x"), (e) => `${e}!`)).toEqual(Exit.fail("x!"))
    expect(Eager.flatMap(Exit.fail("x"), () => Exit.succeed(1))).toEqual(Exit.fail("x"))
    let called = false
    const later = Eager.flatMap(Effect.yieldNow(), () => {
      called = true
      return Exit.succeed(1)
    })
    expect(called).toBe(false)
    expect(Effect.runSync(later)).toBe(1)
    expect(called).toBe(true)
    expect(Effect.runSyncExit(Eager.mapError(Effect.zipRight(Effect.yieldNow(), Effect.fail("y")), (e) => `${e}?`))).toEqual(Exit.fail("y?"))
  })
})
