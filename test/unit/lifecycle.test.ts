/**
 * The lifecycle programs on the fake world, scenario by scenario: exact messages,
 * files kept or removed, signals sent and when. Virtual time only.
 */
import { assert, describe, it } from "@effect/vitest"
import { Console, Duration, Effect, Fiber, Layer, Option, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import { exitCodeFor, exitCodeOf } from "../../src/domain/ExitCode.js"
import * as Autostart from "../../src/services/Autostart.js"
import * as ControlPlane from "../../src/services/ControlPlane.js"
import { InstanceDir } from "../../src/services/InstanceDir.js"
import { reporting } from "../../src/services/Outcome.js"
import * as FakeInstanceDir from "../fakes/FakeInstanceDir.js"
import { captureLogs, layers, makeWorld, quickDaemon, type World } from "../fakes/index.js"

const provide = (w: World, logs: Array<string>) => Effect.provide(Layer.merge(layers(w), captureLogs(logs)))

const startOpts = (budget: Duration.DurationInput, wait = true, settings = ControlPlane.noSettings) =>
  Effect.map(Deadline.start(Duration.decode(budget)), (deadline) => ({ wait, deadline, settings }))

/** Runs `self` in a fiber, advances the clock by `by`, and returns its exit. */
const runFor = <A, E>(self: Effect.Effect<A, E>, by: Duration.DurationInput) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(self)
    yield* TestClock.adjust(by)
    return yield* Fiber.await(fiber)
  })

const N = "\"rancher-desktop-t1\""

describe("svc start", () => {
  it.effect("creates, spawns and waits through the three phases", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      const logs: Array<string> = []
      const exit = yield* runFor(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, logs)), "2 seconds")
      assert.strictEqual(exit._tag, "Success")
      assert.deepStrictEqual(logs, [
        `successfully created ${N} control plane`,
        `starting ${N} control plane`,
        "waiting for API server",
        "waiting for controllers to register",
        "waiting for CRDs to be established",
        `${N} control plane is ready`
      ])
      assert.strictEqual(w.spawns.length, 1)
      assert.deepStrictEqual(w.spawns[0]!.args.slice(0, 4), ["--instance", "t1", "svc", "serve"])
      assert.deepStrictEqual(w.spawns[0]!.args.slice(4), ["--secure-port", String(w.instance.defaultPort), "--controllers", "*"])
      assert.isFalse(w.files.has(`${w.paths.dir}/rdd.starting`), "the start gate is released")
    }))

  it.effect("already running and ready: no phase lines, no second daemon", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      const logs: Array<string> = []
      yield* runFor(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, [])), "2 seconds")
      const exit = yield* runFor(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, logs)), "1 second")
      assert.strictEqual(exit._tag, "Success")
      assert.deepStrictEqual(logs, [`${N} control plane is already running`, `${N} control plane is ready`])
      assert.strictEqual(w.spawns.length, 1)
    }))

  it.effect("different --controllers than the running daemon: exit 1, nothing spawned", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      yield* runFor(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, [])), "2 seconds")
      const exit = yield* runFor(
        Effect.flatMap(startOpts("90 seconds", true, { controllers: Option.some("-limavm"), securePort: Option.none() }), ControlPlane.start)
          .pipe(provide(w, []), Effect.flip),
        "1 second"
      )
      assert.strictEqual(exit._tag, "Success")
      if (exit._tag === "Success") {
        assert.strictEqual(exitCodeFor(exit.value), 1)
        assert.match(exit.value.message, /already running with other settings.*--controllers.*stop it first/)
      }
      assert.strictEqual(w.spawns.length, 1)
    }))

  it.effect("a daemon that dies during startup fails fast with its log tail (exit 1)", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, crashAfter: Duration.millis(350) })
      const exit = yield* runFor(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, []), Effect.flip), "3 seconds")
      assert.strictEqual(exit._tag, "Success")
      if (exit._tag === "Success") {
        assert.strictEqual(exitCodeFor(exit.value), 1)
        assert.include(exit.value.message, "control plane exited while waiting")
        assert.include(exit.value.message, "boom: the store is corrupt")
      }
    }))

  it.effect("an already-running daemon that exits while start waits for it: exit 1 at once, no raw file error", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, readyAfter: Duration.minutes(10), crashAfter: Duration.seconds(3) })
      yield* Effect.flatMap(startOpts("90 seconds", false), ControlPlane.start).pipe(provide(w, []))
      yield* TestClock.adjust("1 second") // it owns the instance and serves /readyz, not ready
      const logs: Array<string> = []
      const fiber = yield* Effect.fork(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, logs), Effect.flip))
      yield* TestClock.adjust("3000 millis")
      const e = Option.getOrThrow(yield* Fiber.poll(fiber))
      assert.strictEqual(e._tag, "Success")
      if (e._tag === "Success") {
        assert.strictEqual(exitCodeFor(e.value), 1)
        assert.include(e.value.message, `${N} control plane exited while waiting for it to be ready (pid 1000)`)
      }
      assert.strictEqual(logs[0], `${N} control plane is already running`)
    }))

  it.effect("timeout: exit 4, the daemon is left starting and the message says so", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, readyAfter: Duration.minutes(10) })
      const exit = yield* runFor(Effect.flatMap(startOpts("5 seconds"), ControlPlane.start).pipe(provide(w, []), Effect.flip), "6 seconds")
      assert.strictEqual(exit._tag, "Success")
      if (exit._tag === "Success") {
        assert.strictEqual(exitCodeFor(exit.value), 4)
        assert.strictEqual(
          exit.value.message,
          `timed out after 5s waiting for ${N} control plane to be ready: context deadline exceeded; the ${N} control plane keeps starting in the background (pid 1000)`
        )
      }
      assert.isTrue(w.procs.get(1000)!.alive)
    }))
})

describe("start gate", () => {
  it.effect("a start in flight elsewhere (live holder) is waited for within the deadline only: exit 4 at exactly it", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      const other = w.addProcess(["node", "/x/bin/rdd.mjs", "--instance", "t1", "svc", "start"])
      w.files.set(w.paths.args_file, "[]")
      w.files.set(`${w.paths.dir}/rdd.starting`, `${other} token`)
      const logs: Array<string> = []
      const fiber = yield* Effect.fork(Effect.flatMap(startOpts("2 seconds"), ControlPlane.start).pipe(provide(w, logs), Effect.flip))
      yield* TestClock.adjust("1999 millis")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 millis")
      const e = yield* Fiber.join(fiber)
      assert.strictEqual(exitCodeFor(e), 4)
      assert.include(logs[0]!, `waiting for another rdd process (pid ${other})`)
      assert.strictEqual(w.spawns.length, 0)
    }))

  it.effect("a marker whose holder is dead is stale: the start goes ahead", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.files.set(`${w.paths.dir}/rdd.starting`, "999999 token")
      const exit = yield* runFor(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, [])), "2 seconds")
      assert.strictEqual(exit._tag, "Success")
      assert.strictEqual(w.spawns.length, 1)
    }))
})

describe("svc stop / delete", () => {
  it.effect("a daemon still before its lock (spawned by start --wait=false) is found, and signalled once it owns the instance", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, lockAfter: Duration.seconds(30) })
      yield* Effect.flatMap(startOpts("90 seconds", false), ControlPlane.start).pipe(provide(w, []))
      const child = w.spawns[0]!.pid
      assert.isFalse(w.files.has(w.paths.pid_file))
      const logs: Array<string> = []
      const d = yield* Deadline.start(Duration.minutes(5))
      // a signal that lands while the daemon is still loading can be lost: wait until it takes the instance
      const exit = yield* runFor(ControlPlane.stop({ wait: true, deadline: d }).pipe(provide(w, logs)), "31 seconds")
      assert.strictEqual(exit._tag, "Success")
      assert.deepStrictEqual(w.signals.map((s) => [s.pid, s.kind]), [[child, "graceful"]])
      assert.isAtLeast(w.signals[0]!.atMillis, 30_000, "not signalled before it owned the instance")
      assert.deepStrictEqual(logs, [`${N} control plane has stopped`])
    }))

  it.effect("stop waits for the exit and never touches config.yaml itself", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      yield* runFor(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, [])), "2 seconds")
      const logs: Array<string> = []
      w.setScript(quickDaemon)
      const d = yield* Deadline.start(Duration.minutes(5))
      const exit = yield* runFor(ControlPlane.stop({ wait: false, deadline: d }).pipe(provide(w, logs)), "1 millis")
      assert.strictEqual(exit._tag, "Success")
      assert.deepStrictEqual(logs, [`${N} control plane is stopping`])
      assert.isTrue(w.files.has(w.paths.config), "config.yaml stays until the daemon removes it")
      yield* TestClock.adjust("1 second")
      assert.isFalse(w.files.has(w.paths.config), "the daemon removed it on its clean exit")
    }))

  it.effect("a stop timeout escalates to SIGTERM exactly at the deadline; delete then removes nothing", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, hangOnStop: true, frozen: true })
      yield* runFor(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, [])), "2 seconds")
      const t0 = yield* TestClock.currentTimeMillis
      const d = yield* Deadline.start(Duration.seconds(3))
      const exit = yield* runFor(ControlPlane.remove(d).pipe(provide(w, []), Effect.flip), "6 seconds")
      assert.strictEqual(exit._tag, "Success")
      if (exit._tag === "Success") {
        assert.strictEqual(exitCodeFor(exit.value), 4)
        assert.include(exit.value.message, "is still running")
        assert.include(exit.value.message, "was preserved")
      }
      const term = w.signals.find((s) => s.kind === "forceful")
      assert.strictEqual(term?.atMillis, t0 + 3000)
      assert.isTrue(w.files.has(w.paths.args_file))
    }))

  it.effect("autostart budget is min(90s, remaining)", () =>
    Effect.gen(function*() {
      const forever = yield* Deadline.start(Duration.zero)
      const b1 = yield* Autostart.budget(forever)
      assert.strictEqual(Duration.toMillis(b1.budget), 90_000)
      const short = yield* Deadline.start(Duration.seconds(30))
      yield* TestClock.adjust("10 seconds")
      const b2 = yield* Autostart.budget(short)
      assert.strictEqual(Duration.toMillis(yield* Deadline.remaining(b2)), 20_000)
      assert.strictEqual(Duration.toMillis(b2.budget), 30_000, "a timeout names the command's own budget")
    }))
})

describe("svc create", () => {
  it.effect("another command creates the instance between this one's read and write: this one compares, never overwrites", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      const theirs = JSON.stringify(["--secure-port", String(w.instance.defaultPort), "--controllers", "-limavm"])
      // the first read of args.json finds nothing, and the other command writes it right after
      const racing = Layer.effect(InstanceDir, Effect.map(InstanceDir, (real) => {
        let first = true
        return {
          ...real,
          readArgs: Effect.suspend(() => {
            if (!first) return real.readArgs
            first = false
            return Effect.as(Effect.sync(() => w.files.set(w.paths.args_file, theirs)), Option.none())
          })
        }
      })).pipe(Layer.provide(FakeInstanceDir.instanceDir(w)))
      const logs: Array<string> = []
      const exit = yield* ControlPlane.create({ controllers: Option.some("*"), securePort: Option.none() }).pipe(
        Effect.provide(racing),
        provide(w, logs),
        Effect.exit
      )
      assert.strictEqual(exit._tag, "Failure")
      assert.include(String(exit), "already exists with different settings")
      assert.strictEqual(w.files.get(w.paths.args_file), theirs)
      assert.notInclude(logs.join("\n"), "successfully created")
    }))
})

describe("Ctrl-C during a wait", () => {
  /** Forks `self`, lets `by` pass, interrupts it: the exit and the log lines. */
  const interruptAfter = <A, E>(self: Effect.Effect<A, E>, by: Duration.DurationInput) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(self)
      yield* TestClock.adjust(by)
      return yield* Fiber.interrupt(fiber)
    })

  it.effect("svc start, at every phase: exit 130, and a warning says the control plane keeps starting, with its pid", () =>
    Effect.gen(function*() {
      // before the lock (100ms), then waiting for readiness (500ms)
      for (const at of ["50 millis", "300 millis"] as const) {
        const w = yield* makeWorld()
        const logs: Array<string> = []
        const exit = yield* interruptAfter(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, logs)), at)
        assert.strictEqual(exitCodeOf(exit), 130)
        const pid = w.spawns[0]!.pid
        const last = logs.at(-1) ?? ""
        assert.match(last, /^interrupted while waiting for /, `${at}: ${logs.join(" | ")}`)
        assert.include(last, `; the ${N} control plane keeps starting in the background (pid ${pid})`)
      }
    }))

  it.effect("--output json: the interrupted record carries what was left behind", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      const printed: Array<string> = []
      const program = Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(
        reporting("svc start", w.instance.name, true),
        (self) => Console.consoleWith((c) => Effect.withConsole(self, { ...c, log: (...args) => Effect.sync(() => void printed.push(args.join(" "))) })),
        provide(w, [])
      )
      const exit = yield* interruptAfter(program, "300 millis")
      assert.strictEqual(exitCodeOf(exit), 130)
      const pid = w.spawns[0]!.pid
      assert.strictEqual(printed.length, 1)
      const left = `the ${N} control plane keeps starting in the background (pid ${pid})`
      assert.deepInclude(JSON.parse(printed[0]!), { command: "svc start", outcome: "interrupted", exitCode: 130, message: `interrupted; ${left}`, leftBehind: left })
    }))

  it.effect("svc stop: exit 130, and a warning says the daemon keeps shutting down", () =>
    Effect.gen(function*() {
      const w = yield* makeWorld()
      w.setScript({ ...quickDaemon, hangOnStop: true })
      yield* runFor(Effect.flatMap(startOpts("90 seconds"), ControlPlane.start).pipe(provide(w, [])), "2 seconds")
      const pid = w.spawns[0]!.pid
      const logs: Array<string> = []
      const d = yield* Deadline.start(Duration.minutes(5))
      const exit = yield* interruptAfter(ControlPlane.stop({ wait: true, deadline: d }).pipe(provide(w, logs)), "1 second")
      assert.strictEqual(exitCodeOf(exit), 130)
      assert.deepStrictEqual(logs, [
        `interrupted while waiting for ${N} control plane with pid ${pid} to stop; ` +
        `the control plane (pid ${pid}) received SIGINT and keeps shutting down in the background`
      ])
    }))
})
