/**
 * What a timed-out start says it leaves behind is judged from the (fake) process
 * table at the deadline: a spawned daemon that is alive, another rdd holding the
 * start gate, a daemon that was running before the command, or nothing at all.
 * Virtual time only.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Option, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import { exitCodeFor } from "../../src/domain/ExitCode.js"
import * as Autostart from "../../src/services/Autostart.js"
import * as ControlPlane from "../../src/services/ControlPlane.js"
import { captureLogs, layers, makeWorld, quickDaemon, type World } from "../fakes/index.js"

const N = "\"rancher-desktop-t1\""
const provide = (w: World, logs: Array<string>) => Effect.provide(Layer.merge(layers(w), captureLogs(logs)))

/** The failure message of `self` after `by` of virtual time (it must have failed by then). */
const failureAfter = <A, E extends { readonly message: string }>(self: Effect.Effect<A, E>, by: Duration.DurationInput) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.flip(self))
    yield* TestClock.adjust(by)
    const e = Option.getOrThrow(yield* Fiber.poll(fiber))
    assert.strictEqual(e._tag, "Success", "the command failed")
    return e._tag === "Success" ? e.value : (undefined as never)
  })

const start = (w: World, logs: Array<string>, deadline: Deadline.Deadline, wait = true) =>
  ControlPlane.start({ wait, deadline, settings: ControlPlane.noSettings }).pipe(provide(w, logs))

describe("a timed-out start says what it actually left", () => {
  it.effect("deadline gone before anything was spawned (svc start --timeout=1ms): it says nothing was started", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      const deadline = yield* Deadline.start(Duration.millis(1))
      yield* TestClock.adjust("2 millis") // the CLI's own start-up used the millisecond
      const e = yield* failureAfter(start(w, [], deadline), "1 millis")
      assert.strictEqual(exitCodeFor(e), 4)
      assert.strictEqual(w.spawns.length, 0)
      assert.match(e.message, new RegExp(`; this command started nothing: the ${N} control plane is not running$`))
      assert.notInclude(e.message, "keeps starting")
    }))

  it.effect("a daemon this command spawned and that is still loading: keeps starting, with its pid", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, readyAfter: Duration.minutes(10) })
      const e = yield* failureAfter(start(w, [], yield* Deadline.start(Duration.seconds(5))), "6 seconds")
      const pid = w.spawns[0]!.pid
      assert.isTrue(w.procs.get(pid)!.alive)
      assert.match(e.message, new RegExp(`; the ${N} control plane keeps starting in the background \\(pid ${pid}\\)$`))
    }))

  it.effect("a daemon that was already running (started earlier, not ready): it keeps running, and this command started nothing", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, readyAfter: Duration.minutes(10) })
      yield* start(w, [], yield* Deadline.start(Duration.seconds(90)), false)
      yield* TestClock.adjust("1 second") // it owns the instance
      const pid = w.spawns[0]!.pid
      const e = yield* failureAfter(start(w, [], yield* Deadline.start(Duration.seconds(2))), "3 seconds")
      assert.strictEqual(w.spawns.length, 1)
      assert.match(e.message, new RegExp(`; the ${N} control plane keeps running \\(pid ${pid}\\); it was not confirmed ready in time$`))
      assert.notInclude(e.message, "keeps starting")
    }))

  it.effect("autostart (limavm restart) against a running daemon: never says the control plane keeps starting", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, readyAfter: Duration.minutes(10) })
      yield* start(w, [], yield* Deadline.start(Duration.seconds(90)), false)
      yield* TestClock.adjust("1 second")
      const pid = w.spawns[0]!.pid
      const e = yield* failureAfter(Autostart.ensureRunning(yield* Deadline.start(Duration.seconds(1))).pipe(provide(w, [])), "2 seconds")
      assert.strictEqual(exitCodeFor(e), 4)
      assert.match(e.message, new RegExp(`keeps running \\(pid ${pid}\\); it was not confirmed ready in time$`))
    }))

  it.effect("another rdd holding the start gate: names that process, and only while it lives", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      const other = w.addProcess(["node", "/x/bin/rdd.mjs", "--instance", "t1", "svc", "start"])
      w.files.set(w.paths.args_file, "[]")
      w.files.set(`${w.paths.dir}/rdd.starting`, `${other} token`)
      const e = yield* failureAfter(start(w, [], yield* Deadline.start(Duration.seconds(2))), "2 seconds")
      assert.strictEqual(w.spawns.length, 0)
      assert.match(e.message, new RegExp(`; another rdd process \\(pid ${other}\\) keeps starting the ${N} control plane$`))
    }))

  it.effect("a spawned daemon that is gone at the deadline is not said to keep starting", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, readyAfter: Duration.minutes(10) })
      const logs: Array<string> = []
      const fiber = yield* Effect.fork(Effect.flip(start(w, logs, yield* Deadline.start(Duration.seconds(5)))))
      yield* TestClock.adjust("1 second")
      const pid = w.spawns[0]!.pid
      // interrupted (Ctrl-C) after the daemon was killed by someone else: the warning says so
      w.procs.get(pid)!.alive = false
      yield* Fiber.interrupt(fiber)
      const last = logs.at(-1) ?? ""
      assert.match(last, /^interrupted while waiting for /)
      assert.notInclude(last, "keeps starting")
      assert.include(last, `(pid ${pid}) has exited`)
    }))
})
