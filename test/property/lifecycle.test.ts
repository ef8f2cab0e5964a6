/**
 * The timing contract of the lifecycle programs, as properties over random
 * budgets, daemon delays and failures, on the scripted fake world and TestClock
 * (nothing really waits): start succeeds iff ready before the deadline, exit 4
 * otherwise, exit 1 fast when the daemon dies; `0` never times out; `--wait=false`
 * never waits for readiness; stop escalates to SIGTERM exactly at the deadline;
 * delete removes everything after a stop and nothing after a timed-out one;
 * autostart's budget is min(90s, remaining).
 */
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Duration, Effect, Exit, FastCheck as fc, Fiber, Layer, Option, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import { exitCodeOf } from "../../src/domain/ExitCode.js"
import * as Autostart from "../../src/services/Autostart.js"
import * as ControlPlane from "../../src/services/ControlPlane.js"
import { removedThroughService } from "../fakes/FakeInstanceDir.js"
import { captureLogs, layers, makeWorld, quickDaemon, type World } from "../fakes/index.js"

const ms = Duration.millis
const env = (w: World, keepLogs = false) =>
  Effect.provide(Layer.mergeAll(
    layers(w),
    captureLogs([]),
    Layer.setConfigProvider(ConfigProvider.fromMap(new Map(keepLogs ? [["RDD_KEEP_LOGS", "1"]] : [])))
  ))

/** Forks `self`, advances virtual time by `by`, and returns (exit, virtual ms at which it ended). */
const timed = <A, E>(self: Effect.Effect<A, E>, by: number) =>
  Effect.gen(function*() {
    const t0 = yield* TestClock.currentTimeMillis
    let endedAt = -1
    const fiber = yield* Effect.fork(Effect.onExit(self, () => Effect.flatMap(TestClock.currentTimeMillis, (t) => Effect.sync(() => (endedAt = t - t0)))))
    yield* TestClock.adjust(ms(by))
    const exit = yield* Fiber.poll(fiber)
    if (Option.isNone(exit)) yield* Fiber.interrupt(fiber)
    return { exit, endedAt }
  })

/** A daemon script with random delays (ms from spawn), in order lock <= api <= register <= ready. */
const script = fc.record({
  lock: fc.integer({ min: 10, max: 1500 }),
  api: fc.integer({ min: 0, max: 3000 }),
  register: fc.integer({ min: 0, max: 3000 }),
  ready: fc.integer({ min: 0, max: 6000 }),
  crash: fc.option(fc.integer({ min: 20, max: 12_000 }), { nil: undefined })
})

/**
 * A hang guard, not a speed goal: every TestClock step waits for all fibers to suspend
 * with real setTimeout(0) yields, so these properties take wall time in proportion to the
 * machine's scheduling latency (one of them took over 60 s at load 13 on 2 cores).
 */
const HangGuard = 300_000
const runs = { timeout: HangGuard, fastCheck: { numRuns: 30 } }
/** polling granularity (liveness, readyz) plus the takeover grace after a death */
const Slack = 250
const Grace = 500 + Slack

describe("start: property", () => {
  it.effect.prop(
    "ready before the deadline → 0; not ready → 4 at exactly the deadline; dies → 1 long before it; 0 = forever",
    {
      budget: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 12_000 })),
      s: script
    },
    ({ budget, s }) =>
      Effect.gen(function*() {
        const w = yield* makeWorld()
        const lockAfter = s.lock
        const apiAfter = lockAfter + s.api
        const registerAfter = apiAfter + s.register
        const readyAfter = registerAfter + s.ready
        w.setScript({
          ...quickDaemon,
          lockAfter: ms(lockAfter),
          apiAfter: ms(apiAfter),
          registerAfter: ms(registerAfter),
          readyAfter: ms(readyAfter),
          ...(s.crash === undefined ? {} : { crashAfter: ms(s.crash) })
        })
        const deadline = yield* Deadline.start(ms(budget))
        const horizon = 20_000
        const { endedAt, exit } = yield* timed(ControlPlane.start({ wait: true, deadline, settings: ControlPlane.noSettings }).pipe(env(w)), horizon)
        const crashes = s.crash !== undefined && s.crash < readyAfter
        const forever = budget === 0
        assert.isTrue(Option.isSome(exit), "every start ends (within the horizon)")
        const code = exitCodeOf(Option.getOrThrow(exit))
        if (crashes) {
          // dies during startup: exit 1 fast, unless the deadline came first
          if (forever || s.crash! + Grace < budget) {
            assert.strictEqual(code, 1)
            assert.isAtMost(endedAt, s.crash! + Grace)
          } else if (s.crash! > budget) assert.strictEqual(code, 4)
        } else if (forever || readyAfter + Slack < budget) {
          assert.strictEqual(code, 0)
          assert.isAtMost(endedAt, readyAfter + Slack)
        } else if (readyAfter > budget + Slack) {
          assert.strictEqual(code, 4)
          assert.strictEqual(endedAt, budget, "the timeout fires at exactly the deadline")
          assert.isTrue(w.procs.get(w.spawns[0]!.pid)!.alive || s.crash !== undefined, "the daemon is left starting")
        }
        assert.strictEqual(w.spawns.length, 1, "exactly one daemon spawned")
        assert.isFalse(w.signals.length > 0, "start never signals the daemon")
      }),
    runs
  )

  it.effect.prop(
    "N concurrent starts spawn exactly one daemon and all succeed once it is ready",
    { n: fc.integer({ min: 2, max: 10 }), s: script },
    ({ n, s }) =>
      Effect.gen(function*() {
        const w = yield* makeWorld()
        const readyAfter = s.lock + s.api + s.register + s.ready
        w.setScript({
          ...quickDaemon,
          lockAfter: ms(s.lock),
          apiAfter: ms(s.lock + s.api),
          registerAfter: ms(s.lock + s.api + s.register),
          readyAfter: ms(readyAfter)
        })
        const deadline = yield* Deadline.start(Duration.seconds(60))
        const one = ControlPlane.start({ wait: true, deadline, settings: ControlPlane.noSettings }).pipe(env(w))
        const { exit } = yield* timed(Effect.all(Array.from({ length: n }, () => one), { concurrency: "unbounded" }), readyAfter + 2000)
        assert.strictEqual(exitCodeOf(Option.getOrThrow(exit)), 0)
        assert.strictEqual(w.spawns.length, 1, "exactly one daemon spawned")
      }),
    { timeout: HangGuard, fastCheck: { numRuns: 15 } }
  )

  it.effect.prop(
    "--wait=false never waits for readiness, whatever the budget and the delays",
    { s: script, neverReady: fc.boolean() },
    ({ neverReady, s }) =>
      Effect.gen(function*() {
        const w = yield* makeWorld()
        w.setScript({ ...quickDaemon, lockAfter: ms(s.lock), readyAfter: neverReady ? Duration.days(1) : ms(s.lock + s.ready) })
        const deadline = yield* Deadline.start(ms(1))
        // no clock advance at all: it must complete without waiting
        const r = yield* ControlPlane.start({ wait: false, deadline, settings: ControlPlane.noSettings }).pipe(env(w))
        assert.strictEqual(r.outcome, "starting")
        assert.strictEqual(yield* TestClock.currentTimeMillis, 0, "returns at once")
        assert.strictEqual(w.spawns.length, 1)
      }),
    runs
  )
})

describe("stop and delete: property", () => {
  const started = (w: World, stop: { readonly after: number; readonly hang: boolean; readonly frozen: boolean }) =>
    Effect.gen(function*() {
      w.setScript({ ...quickDaemon, stopAfter: ms(stop.after), hangOnStop: stop.hang, frozen: stop.frozen })
      const d = yield* Deadline.start(Duration.seconds(90))
      const r = yield* timed(ControlPlane.start({ wait: true, deadline: d, settings: ControlPlane.noSettings }).pipe(env(w)), 2000)
      assert.strictEqual(exitCodeOf(Option.getOrThrow(r.exit)), 0)
      return w.spawns[0]!.pid
    })

  const stopScript = fc.record({
    after: fc.integer({ min: 0, max: 8000 }),
    hang: fc.boolean(),
    frozen: fc.boolean()
  })

  it.effect.prop(
    "stop: exits in time → 0 with no SIGTERM; otherwise SIGTERM at exactly the deadline, exit 4 saying whether it is gone",
    { budget: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 8000 })), stop: stopScript },
    ({ budget, stop }) =>
      Effect.gen(function*() {
        const w = yield* makeWorld()
        const pid = yield* started(w, stop)
        const deadline = yield* Deadline.start(ms(budget))
        const t0 = yield* TestClock.currentTimeMillis
        const { endedAt, exit } = yield* timed(ControlPlane.stop({ wait: true, deadline }).pipe(env(w)), 12_000)
        const exits = !stop.hang && !stop.frozen
        const term = w.signals.filter((s) => s.kind === "forceful")
        if (budget === 0 && !exits) {
          assert.isTrue(Option.isNone(exit), "0 waits forever")
          assert.strictEqual(term.length, 0)
          return
        }
        const e = Option.getOrThrow(exit)
        if (exits && (budget === 0 || stop.after + 100 < budget)) {
          assert.strictEqual(exitCodeOf(e), 0)
          assert.strictEqual(term.length, 0, "no SIGTERM when it exits in time")
          assert.isFalse(w.files.has(w.paths.config), "the daemon removed its kubeconfig")
        } else if (!exits || stop.after > budget + 100) {
          assert.strictEqual(exitCodeOf(e), 4)
          assert.strictEqual(term.length, 1)
          assert.strictEqual(term[0]!.atMillis - t0, budget, "SIGTERM exactly at the deadline")
          assert.strictEqual(term[0]!.pid, pid)
          const message = Exit.isFailure(e) ? String(Option.getOrThrow(Exit.causeOption(e)).toString()) : ""
          if (stop.frozen) {
            assert.include(message, "is still running")
            assert.strictEqual(endedAt, budget + 2000, "confirms for 2s")
          } else assert.include(message, "has exited")
          assert.isTrue(w.files.has(w.paths.args_file))
        }
        assert.strictEqual(w.signals.filter((s) => s.kind === "graceful").length, 1, "one SIGINT")
      }),
    runs
  )

  it.effect.prop(
    "stop --wait=false sends SIGINT and returns at once, never SIGTERM, and leaves config.yaml to the daemon",
    { stop: stopScript },
    ({ stop }) =>
      Effect.gen(function*() {
        const w = yield* makeWorld()
        yield* started(w, stop)
        const deadline = yield* Deadline.start(ms(1))
        // no clock advance at all: it must complete without waiting
        const t0 = yield* TestClock.currentTimeMillis
        const r = yield* ControlPlane.stop({ wait: false, deadline }).pipe(env(w))
        assert.strictEqual(r.outcome, "stopping")
        assert.strictEqual(yield* TestClock.currentTimeMillis, t0)
        // (a daemon scripted to exit at once may already have removed it itself)
        assert.isFalse(removedThroughService(w).has(w.paths.config), "the CLI never removes config.yaml")
        yield* TestClock.adjust(ms(20_000))
        assert.strictEqual(w.signals.filter((s) => s.kind === "forceful").length, 0)
        assert.strictEqual(w.files.has(w.paths.config), stop.hang || stop.frozen, "only the daemon removes it, on its clean exit")
      }),
    runs
  )

  it.effect.prop(
    "delete: removes exactly the three dirs (log dir kept with RDD_KEEP_LOGS) after the exit; nothing after a timeout",
    { budget: fc.integer({ min: 1, max: 8000 }), stop: stopScript, keepLogs: fc.boolean() },
    ({ budget, keepLogs, stop }) =>
      Effect.gen(function*() {
        const w = yield* makeWorld()
        yield* started(w, stop)
        w.files.set(`${w.paths.short_dir}/lima/x.log`, "vm log")
        w.files.set("/home/u/.local/share/rancher-desktop-t10/args.json", "[]") // a neighbour with a common prefix
        const before = new Set(w.files.keys())
        const deadline = yield* Deadline.start(ms(budget))
        const { exit } = yield* timed(ControlPlane.remove(deadline).pipe(env(w, keepLogs)), 12_000)
        const e = Option.getOrThrow(exit)
        const exits = !stop.hang && !stop.frozen
        if (exits && stop.after + 100 < budget) {
          assert.strictEqual(exitCodeOf(e), 0)
          const left = [...w.files.keys()].sort()
          const expected = [...before].filter((f) =>
            !f.startsWith(`${w.paths.dir}/`) && !f.startsWith(`${w.paths.short_dir}/`) && (keepLogs || !f.startsWith(`${w.paths.log_dir}/`))).sort()
          assert.deepStrictEqual(left, expected)
          assert.include(left, "/home/u/.local/share/rancher-desktop-t10/args.json")
        } else if (!exits || stop.after > budget + 100) {
          assert.strictEqual(exitCodeOf(e), 4)
          for (const f of before) {
            if (f === w.paths.pid_file || f === w.paths.run_file || f === w.paths.config) continue // the daemon's own
            assert.isTrue(w.files.has(f), `${f} kept after a timed-out delete`)
          }
        }
      }),
    runs
  )
})

describe("autostart: property", () => {
  it.effect.prop(
    "waits within min(90s, remaining): a never-ready control plane times out exactly then",
    { budget: fc.integer({ min: 1, max: 12_000 }), used: fc.integer({ min: 0, max: 12_000 }) },
    ({ budget, used }) =>
      Effect.gen(function*() {
        const w = yield* makeWorld()
        w.setScript({ ...quickDaemon, readyAfter: Duration.days(1) })
        const deadline = yield* Deadline.start(ms(budget))
        yield* TestClock.adjust(ms(Math.min(used, budget)))
        const remaining = budget - Math.min(used, budget)
        const { endedAt, exit } = yield* timed(Autostart.ensureRunning(deadline).pipe(env(w)), remaining + 100)
        assert.strictEqual(exitCodeOf(Option.getOrThrow(exit)), 4)
        assert.strictEqual(endedAt, Math.min(90_000, remaining))
      }),
    { timeout: HangGuard, fastCheck: { numRuns: 20 } }
  )
})
