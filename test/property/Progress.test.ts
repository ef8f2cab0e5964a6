/**
 * The live progress line: shown only when enabled (TTY at info or more verbose),
 * refreshed while the wait runs, always cleared at the end, never drawn when
 * disabled; the Logging layer keeps it from mixing with log lines.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Ref, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import * as Logging from "../../src/layers/Logging.js"
import { Progress, progressLine, withProgress } from "../../src/services/Progress.js"

const recording = (enabled: boolean) =>
  Effect.map(Ref.make<Array<string>>([]), (calls) => ({
    calls,
    layer: Layer.succeed(Progress, {
      enabled,
      show: (line: string) => Ref.update(calls, (c) => [...c, line]),
      clear: Ref.update(calls, (c) => [...c, "<clear>"])
    })
  }))

describe("withProgress", () => {
  it.effect("draws the phase, elapsed time and budget, then clears", () =>
    Effect.gen(function*() {
      const { calls, layer } = yield* recording(true)
      const deadline = yield* Deadline.start(Duration.seconds(90))
      const fiber = yield* Effect.fork(
        Effect.sleep(Duration.millis(350)).pipe(withProgress("API server", deadline), Effect.provide(layer))
      )
      yield* TestClock.adjust(Duration.millis(350))
      yield* Fiber.join(fiber)
      const seen = yield* Ref.get(calls)
      assert.strictEqual(seen[0], "waiting for API server (0.0s of 1m30s)")
      assert.include(seen, "waiting for API server (0.3s of 1m30s)")
      assert.strictEqual(seen.at(-1), "<clear>")
    }))

  it.effect("draws nothing when disabled (not a TTY)", () =>
    Effect.gen(function*() {
      const { calls, layer } = yield* recording(false)
      const deadline = yield* Deadline.start(Duration.seconds(5))
      yield* Effect.void.pipe(withProgress("x", deadline), Effect.provide(layer))
      assert.deepStrictEqual(yield* Ref.get(calls), [])
    }))

  it.effect("clears the line when the wait fails", () =>
    Effect.gen(function*() {
      const { calls, layer } = yield* recording(true)
      const deadline = yield* Deadline.start(Duration.zero)
      yield* Effect.fail("boom").pipe(withProgress("x", deadline), Effect.provide(layer), Effect.flip)
      assert.strictEqual((yield* Ref.get(calls)).at(-1), "<clear>")
    }))

  it("formats forever deadlines without a budget", () => {
    assert.strictEqual(
      progressLine("x", Duration.millis(1234), { budget: Duration.zero, startMillis: 0, forever: true }),
      "waiting for x (1.2s)"
    )
  })
})

describe("Logging layer", () => {
  const run = (options: Omit<Logging.LoggingOptions, "write">, program: Effect.Effect<void, never, Progress>) => {
    const out: Array<string> = []
    Effect.runSync(program.pipe(Effect.provide(Logging.layer({ ...options, write: (c) => out.push(c) }))))
    return out.join("")
  }

  it("filters below the level and writes logrus text", () => {
    const text = run({ level: "warning", format: "text", isTTY: false }, Effect.zipRight(Effect.logInfo("hidden"), Effect.logWarning("shown")))
    assert.match(text, /^time="[^"]+" level=warning msg=shown\n$/)
  })

  it("enables progress only on a TTY at info or more verbose", () => {
    const enabled = (level: "info" | "warning" | "debug", isTTY: boolean) =>
      Effect.runSync(Effect.map(Progress, (p) => p.enabled).pipe(Effect.provide(Logging.layer({ level, format: "text", isTTY, write: () => {} }))))
    assert.isTrue(enabled("info", true))
    assert.isTrue(enabled("debug", true))
    assert.isFalse(enabled("warning", true))
    assert.isFalse(enabled("info", false))
  })

  it("a log record clears the progress line and redraws it after itself", () => {
    const text = run(
      { level: "info", format: "text", isTTY: true },
      Effect.gen(function*() {
        const p = yield* Progress
        yield* p.show("waiting for x")
        yield* Effect.logInfo("hello")
      })
    )
    const plain = text.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "")
    assert.strictEqual(plain, "\rwaiting for x\rINFO[0000] hello\n\rwaiting for x")
  })
})
