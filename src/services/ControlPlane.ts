/**
 * The control plane's lifecycle (SPEC 2.1–2.4, 2.7): create, start, stop and
 * delete, as programs over InstanceDir, ProcessManager and KubeClient. Each takes
 * ONE deadline from its command and runs every step inside it; each returns a
 * Result (outcome + the message it logged) or a typed error whose exit code is
 * decided in ExitCode. The exact messages follow the Go tool.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ControllerSpec from "../domain/ControllerSpec.js"
import * as Deadline from "../domain/Deadline.js"
import { Failure, leavingBehind, WaitTimeout } from "../domain/Errors.js"
import { quoted } from "../domain/Instance.js"
import type { RunRecord } from "../domain/RunRecord.js"
import * as Timeouts from "../domain/Timeouts.js"
import { findDaemon } from "./Daemon.js"
import { createArgs, differences, lastFlag, noSettings, type Settings, settingsArgs } from "./DaemonSettings.js"
import { InstanceDir } from "./InstanceDir.js"
import type { KubeClient } from "./KubeClient.js"
import * as LogRotation from "./LogRotation.js"
import { finished, result, type Result } from "./Outcome.js"
import { ProcessManager, type Spawned } from "./ProcessManager.js"
import { type Progress, withProgress } from "./Progress.js"
import { awaitReady } from "./Readiness.js"
import * as StartGate from "./StartGate.js"
import * as StartLeftBehind from "./StartLeftBehind.js"
import { poll, pollUntil, sayWhenInterrupted, waitFor } from "./Wait.js"

export { noSettings, type Settings } from "./DaemonSettings.js"

// ---------------------------------------------------------------------------------------------
// create

/** `svc create`: idempotent with the same settings; loud with different ones. */
export const create = (requested: Settings): Effect.Effect<Result, Failure, InstanceDir> =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const name = quoted(dir.instance)
    const saved = yield* dir.readArgs
    if (Option.isSome(saved)) {
      const args = saved.value
      const diff = differences(requested, {
        controllers: Option.getOrElse(lastFlag(args, "--controllers"), () => ControllerSpec.DefaultSpec),
        port: Option.flatMap(lastFlag(args, "--secure-port"), (p) => Option.liftPredicate(Number(p), Number.isInteger))
      })
      if (diff.length > 0) {
        return yield* new Failure({
          message: `${name} control plane already exists with different settings (${diff.join("; ")}); ` +
            `run "rdd svc delete" first to re-create it with the new settings`
        })
      }
      return yield* finished("noop", `${name} control plane already exists`)
    }
    // exclusive: of two concurrent creates one writes, the other compares with what was written
    if (!(yield* dir.writeArgs(createArgs(dir.instance.defaultPort, requested)))) return yield* create(requested)
    return yield* finished("created", `successfully created ${name} control plane`)
  })

const ensureCreated = Effect.gen(function*() {
  const dir = yield* InstanceDir
  if (!(yield* dir.isCreated)) yield* create(noSettings)
})

// ---------------------------------------------------------------------------------------------
// start

type StartEnv = InstanceDir | ProcessManager | KubeClient | Progress | FileSystem.FileSystem

/**
 * Spawns a daemon under the start gate, unless one is running by the time the
 * gate is ours (None then). With `hold`, keeps the gate until the child owns the
 * instance (bounded by the deadline); without (`--wait=false` never waits), hands
 * the gate over to the child.
 */
export const launch = (
  deadline: Deadline.Deadline,
  session: Settings,
  options: { readonly hold: boolean }
): Effect.Effect<Option.Option<Spawned>, Failure | WaitTimeout, Exclude<StartEnv, KubeClient>> =>
  Effect.scoped(Effect.gen(function*() {
    const dir = yield* InstanceDir
    const pm = yield* ProcessManager
    // a timeout here is a start timeout: another process is starting the daemon we wait for
    const gate = yield* StartGate.hold(deadline, {
      what: `${quoted(dir.instance)} control plane to be ready`,
      leftBehind: (holder) => StartLeftBehind.describe({ spawned: Option.none(), holder })
    })
    if (Option.isSome(yield* findDaemon)) return Option.none()
    // out of time already (e.g. --timeout=1ms): a daemon spawned now would only be left behind
    if (options.hold && !deadline.forever && Duration.isZero(yield* Deadline.remaining(deadline))) {
      return yield* new WaitTimeout({
        what: `${quoted(dir.instance)} control plane to be ready`,
        budget: deadline.budget,
        leftBehind: yield* StartLeftBehind.describe(StartLeftBehind.nothingSpawned)
      })
    }
    const saved = Option.getOrElse(yield* dir.readArgs, () => [])
    yield* LogRotation.rotate(dir.paths.log_dir)
    const spawned = yield* pm.spawnDaemon({
      args: ["--instance", dir.instance.suffix, "svc", "serve", ...saved, ...settingsArgs(session)],
      stdoutFile: dir.paths.stdout_log,
      stderrFile: dir.paths.stderr_log
    })
    yield* Effect.logInfo(`starting ${quoted(dir.instance)} control plane`)
    yield* gate.record(spawned.pid)
    if (!options.hold) {
      yield* gate.handOver(spawned.pid)
      return Option.some(spawned)
    }
    // keep the gate until the child has taken the instance (its pid file names it) or is gone
    yield* waitFor("the new control plane to take the instance lock", deadline, poll(Effect.gen(function*() {
      if (!(yield* pm.isAlive(spawned.pid))) return Option.some(undefined)
      return Option.as(Option.filter(yield* dir.readPid, (p) => p === spawned.pid), undefined)
    })), { leftBehind: StartLeftBehind.describe({ spawned: Option.some(spawned.pid), holder: Option.none() }) }).pipe(
      Effect.catchTag("WaitTimeout", () => Effect.void) // the readiness wait reports the timeout, with the pid
    )
    return Option.some(spawned)
  }))

export interface StartOptions {
  readonly wait: boolean
  readonly deadline: Deadline.Deadline
  readonly settings: Settings
}

const checkSettings = (record: Option.Option<RunRecord>, requested: Settings) =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    if (Option.isNone(requested.controllers) && Option.isNone(requested.securePort)) return
    const diff = Option.match(record, {
      onNone: () => ["its settings cannot be read (no run record)"],
      onSome: (r) => differences(requested, { controllers: r.controllers, port: Option.some(r.desiredPort) })
    })
    if (diff.length > 0) {
      return yield* new Failure({
        message: `${quoted(dir.instance)} control plane is already running with other settings (${diff.join("; ")}); ` +
          `stop it first with "rdd svc stop", then start it with the new settings`
      })
    }
  })

/** `svc start` (SPEC 2.2). */
export const start = (o: StartOptions): Effect.Effect<Result, Failure | WaitTimeout, StartEnv> =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const name = quoted(dir.instance)
    yield* ensureCreated
    const running = yield* findDaemon
    const launched = Option.isSome(running) ? Option.none<Spawned>() : yield* launch(o.deadline, o.settings, { hold: o.wait })
    if (Option.isNone(launched)) {
      // running already, or started by a concurrent command while we waited for the gate
      const daemon = Option.isSome(running) ? running : yield* findDaemon
      yield* Effect.logInfo(`${name} control plane is already running`)
      yield* checkSettings(Option.flatMap(daemon, (d) => d.record), o.settings)
      const pid = Option.map(daemon, (d) => d.pid)
      if (!o.wait) return result("noop", `${name} control plane is already running`, Option.getOrUndefined(pid))
      const ready = yield* awaitReady(o.deadline)
      return yield* ready_(name, ready.pid)
    }
    const spawned = launched.value
    if (!o.wait) {
      return yield* finished("starting", `${name} control plane is starting`, spawned.pid)
    }
    const ready = yield* awaitReady(o.deadline, { spawned })
    return yield* ready_(name, ready.pid)
  })

const ready_ = (name: string, pid: number) => finished("ready", `${name} control plane is ready`, pid)

// ---------------------------------------------------------------------------------------------
// stop

/**
 * The daemon to stop: the running one, else one that a start in flight has just
 * spawned. Such a daemon is still loading; it installs its signal handlers before
 * it takes the instance (writes the pid file), so wait for that, or for it to
 * exit, within the command's deadline, and the stop then goes through its orderly
 * shutdown rather than whichever early exit the loading process had reached.
 * (A signal during loading used to be lost outright; serve.ts fixed that, and
 * test/reliability/startup-signal.test.ts proves it.)
 */
const target = (deadline: Deadline.Deadline) =>
  Effect.gen(function*() {
    const running = yield* findDaemon
    if (Option.isSome(running)) return Option.some(running.value.pid)
    const starting = yield* StartGate.findStarting
    if (Option.isNone(starting)) return Option.none<number>()
    const pid = starting.value
    const pm = yield* ProcessManager
    const settled = Effect.zipWith(findDaemon, pm.isAlive(pid), (d, alive) => !alive || Option.exists(d, (x) => x.pid === pid))
    yield* waitFor(`the starting control plane (pid ${pid}) to take the instance`, deadline, pollUntil(settled))
    return Option.some(pid)
  })

/**
 * A drained daemon exits within a few hundred ms of SIGINT: look every 20ms for
 * the first second (a stop should not lose most of a 100ms tick), then at the
 * usual liveness interval.
 */
const QuickLook = { interval: Duration.millis(20), window: Duration.seconds(1) }

export const awaitExit = (pid: number) =>
  Effect.flatMap(ProcessManager, (pm) =>
    pollUntil(Effect.map(pm.isAlive(pid), (alive) => !alive), QuickLook.interval).pipe(
      Effect.timeoutOption(QuickLook.window),
      Effect.flatMap(Option.match({ onNone: () => pm.awaitExit(pid), onSome: () => Effect.void }))
    ))

/**
 * Waits for `pid` to exit within the deadline. At the deadline: sends the
 * forceful signal (the daemon's second signal: it exits at once), confirms for up
 * to StopConfirm, and fails with a timeout saying whether the process is gone.
 */
export const awaitStopped = (pid: number, deadline: Deadline.Deadline, extra = "") =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const pm = yield* ProcessManager
    const what = `${quoted(dir.instance)} control plane with pid ${pid} to stop`
    // judged when Ctrl-C comes: the daemon may have finished its drain meanwhile
    const stopping = Effect.map(pm.isAlive(pid), (alive) =>
      alive
        ? `the control plane (pid ${pid}) received SIGINT and keeps shutting down in the background`
        : `the control plane (pid ${pid}) has exited`)
    yield* waitFor(what, deadline, withProgress(`${quoted(dir.instance)} control plane (pid ${pid}) to stop`, deadline)(awaitExit(pid))).pipe(
      sayWhenInterrupted(what, Effect.map(stopping, (s) => (extra === "" ? s : `${s}; ${extra}`))),
      Effect.catchTag("WaitTimeout", (e) =>
        Effect.gen(function*() {
          yield* pm.signal(pid, "forceful")
          const gone = yield* pm.awaitExit(pid).pipe(Effect.timeoutOption(Timeouts.StopConfirm), Effect.map(Option.isSome))
          const state = gone
            ? `sent SIGTERM at the deadline; the control plane process (pid ${pid}) has exited`
            : `sent SIGTERM at the deadline; the control plane process (pid ${pid}) is still running`
          return yield* Effect.fail(leavingBehind(extra === "" ? state : `${state}; ${extra}`)(e))
        }))
    )
  })

export interface StopOptions {
  readonly wait: boolean
  readonly deadline: Deadline.Deadline
}

/** `svc stop` (SPEC 2.3). Never removes config.yaml: the daemon does on a clean exit. */
export const stop = (o: StopOptions): Effect.Effect<Result, WaitTimeout, InstanceDir | ProcessManager | Progress> =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const pm = yield* ProcessManager
    const name = quoted(dir.instance)
    // the running daemon, or one a start in flight has just spawned
    const daemon = yield* target(o.deadline)
    if (Option.isNone(daemon)) {
      return yield* finished("noop", (yield* dir.isCreated) ? `${name} control plane is already stopped` : `${name} control plane does not exist`)
    }
    const pid = daemon.value
    if (!(yield* pm.signal(pid, "graceful"))) {
      return yield* finished("noop", `${name} control plane is already stopped`)
    }
    if (!o.wait) {
      return yield* finished("stopping", `${name} control plane is stopping`, pid)
    }
    yield* awaitStopped(pid, o.deadline)
    return yield* finished("stopped", `${name} control plane has stopped`, pid)
  })

// ---------------------------------------------------------------------------------------------
// delete

/**
 * `svc delete` (SPEC 2.4): stops and waits (always), then removes the log dir
 * (unless RDD_KEEP_LOGS), the short dir and the service dir, in that order, so
 * a failure leaves args.json and the delete can be repeated. A timed-out stop
 * removes nothing.
 */
export const remove = (deadline: Deadline.Deadline): Effect.Effect<Result, Failure | WaitTimeout, InstanceDir | ProcessManager | Progress | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const pm = yield* ProcessManager
    const name = quoted(dir.instance)
    const daemon = yield* target(deadline)
    const present = (yield* dir.isCreated) || Option.isSome(daemon) || (yield* dir.exists(dir.paths.dir))
    if (!present) {
      return yield* finished("noop", `${name} control plane does not exist`)
    }
    const preserved = `nothing was removed: the instance directory ${dir.paths.dir} was preserved`
    if (Option.isSome(daemon)) {
      yield* pm.signal(daemon.value, "graceful")
      yield* awaitStopped(daemon.value, deadline, preserved)
    }
    const keepLogs = yield* LogRotation.keepLogs
    // under the start gate, so no start can slip in between the check and the removal
    yield* Effect.scoped(Effect.gen(function*() {
      yield* StartGate.hold(deadline, {
        what: `${name} control plane to be deleted`,
        leftBehind: (h) =>
          Effect.map(Effect.flatMap(ProcessManager, (p) => Option.match(h, { onNone: () => Effect.succeed(false), onSome: p.isAlive })), (alive) =>
            Option.isSome(h) && alive ? `another rdd process (pid ${h.value}) is starting it; ${preserved}` : preserved)
      })
      const again = yield* target(deadline)
      if (Option.isSome(again)) {
        return yield* new Failure({
          message: `${name} control plane was started again (pid ${again.value}) while it was being deleted; ${preserved}`
        })
      }
      yield* Effect.uninterruptible(Effect.gen(function*() {
        if (!keepLogs) yield* dir.removeDir("log_dir")
        yield* dir.removeDir("short_dir")
        yield* dir.removeDir("dir")
      }))
    }))
    return yield* finished("deleted", `${name} control plane has been deleted`, Option.getOrUndefined(daemon))
  })

