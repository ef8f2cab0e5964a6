/**
 * ReadyNow.readyDaemon, the one look `rdd ctl` makes before running kubectl at once
 * (and autostart's wait makes first): a ready daemon of this run, or none — never
 * a daemon that is starting, and never waiting.
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Fiber, Layer, Option, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import * as Autostart from "../../src/services/Autostart.js"
import * as ReadyNow from "../../src/services/ReadyNow.js"
import { captureLogs, layers, makeWorld, quickDaemon, type World } from "../fakes/index.js"

const env = (w: World) =>
  Effect.provide(Layer.mergeAll(layers(w), captureLogs([]), Layer.setConfigProvider(ConfigProvider.fromMap(new Map()))))

describe("ReadyNow.readyDaemon", () => {
  it.effect("none without a daemon, none while it starts (API up, not ready), the daemon once it is ready", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript(quickDaemon)
      const look = ReadyNow.readyDaemon.pipe(env(w))
      assert.isTrue(Option.isNone(yield* look))
      const start = yield* Effect.fork(Autostart.ensureRunning(yield* Deadline.forever).pipe(env(w)))
      // quickDaemon: lock at 100 ms, /readyz at 300 ms, ready at 500 ms
      yield* TestClock.adjust(Duration.millis(350))
      assert.isTrue(Option.isNone(yield* look))
      yield* TestClock.adjust(Duration.millis(1000))
      const started = yield* Fiber.join(start)
      const now = yield* look
      assert.deepStrictEqual(Option.map(now, (a) => a.pid), Option.some(started.pid))
    }))
})
