/**
 * What "ready" means (SPEC 2.8) and the one wait for it. Ready = the daemon's pid
 * is alive and really ours (identity-checked), `GET /readyz` answers 200 with the
 * kubeconfig's credentials, and the discovery ConfigMap carries THIS run's start
 * id (from the run record) and the ready annotation. The wait announces its
 * phases once each, in order, watches the ConfigMap instead of polling it, and
 * watches the daemon's pid all along: when the daemon dies it fails at once with
 * the tail of its log, unless another daemon of the instance took over (a
 * concurrent start), in which case it waits for that one.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type * as Deadline from "../domain/Deadline.js"
import { Failure, type WaitTimeout } from "../domain/Errors.js"
import { quoted } from "../domain/Instance.js"
import { findDaemon } from "./Daemon.js"
import { InstanceDir } from "./InstanceDir.js"
import { KubeClient } from "./KubeClient.js"
import { type Progress, withProgress } from "./Progress.js"
import { ProcessManager, type Spawned } from "./ProcessManager.js"
import * as ReadyNow from "./ReadyNow.js"
import { type Awaited, DiscoveryName, DiscoveryNamespace, DiscoveryRef, type Stage, stageOf } from "./ReadyNow.js"
import * as StartLeftBehind from "./StartLeftBehind.js"
import { poll, pollUntil, waitFor } from "./Wait.js"

export { DiscoveryName, DiscoveryNamespace, DiscoveryRef, isReadyNow, ReadyAnnotation, type Stage, stageOf } from "./ReadyNow.js"

export const Phases = {
  api: "API server",
  controllers: "controllers to register",
  crds: "CRDs to be established"
} as const
type Phase = (typeof Phases)[keyof typeof Phases]

const rank: Record<Stage, number> = { "other-run": 0, registered: 1, ready: 2 }

/** How many lines of the daemon's stderr log a failure shows. */
export const LogTailLines = 20
/** After the awaited daemon exits, how long to look for another daemon of the instance that took over. */
const TakeoverGrace = Duration.millis(500)
const WatchRetry = Schedule.spaced(Duration.millis(250))

export type { Awaited } from "./ReadyNow.js"

export const logTail = (text: string, lines = LogTailLines): string => {
  const all = text.split("\n")
  if (all[all.length - 1] === "") all.pop()
  return all.slice(-lines).join("\n")
}

const exited = (pid: Option.Option<number>) =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const log = yield* dir.readFile(dir.paths.stderr_log)
    const tail = Option.match(log, {
      onNone: () => `(${dir.paths.stderr_log} does not exist)`,
      onSome: (t) => logTail(t) || `(${dir.paths.stderr_log} is empty)`
    })
    const which = Option.match(pid, { onNone: () => "", onSome: (p) => ` (pid ${p})` })
    return yield* new Failure({
      message: `${quoted(dir.instance)} control plane exited while waiting for it to be ready${which}; last lines of ${dir.paths.stderr_log}:\n${tail}`
    })
  })

type R = InstanceDir | ProcessManager | KubeClient | Progress

/**
 * Waits, within `deadline`, until the instance's control plane is ready. `spawned`
 * is the daemon this command just started, if any (it may still be before its
 * lock and pid file). What a timeout or Ctrl-C leaves is judged then (StartLeftBehind).
 */
export const awaitReady = (
  deadline: Deadline.Deadline,
  options: { readonly spawned?: Spawned } = {}
): Effect.Effect<Awaited, Failure | WaitTimeout, R> =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const pm = yield* ProcessManager
    const kube = yield* KubeClient
    const announced = yield* Ref.make<ReadonlySet<Phase>>(new Set())

    const phase = <A, E, R2>(p: Phase, self: Effect.Effect<A, E, R2>) =>
      Effect.gen(function*() {
        const seen = yield* Ref.get(announced)
        if (!seen.has(p)) {
          yield* Ref.set(announced, new Set([...seen, p]))
          yield* Effect.logInfo(`waiting for ${p}`)
        }
        return yield* withProgress(p, deadline)(self)
      })

    const readyz = Effect.tap(kube.readyz, (ok) => Effect.logDebug(`GET /readyz: ${ok ? "ready" : "not ready"}`))

    const withRecord = ReadyNow.daemonWithRecord

    /** The run to wait for: a live daemon with its record, or our child until it gets there. */
    const resolve = (child: Option.Option<number>) =>
      poll(Effect.gen(function*() {
        const found = yield* withRecord
        if (Option.isSome(found)) return found
        if (Option.isSome(child) && (yield* pm.isAlive(child.value))) return Option.none()
        if (Option.isNone(child) && Option.isSome(yield* findDaemon)) return Option.none() // record not written yet
        // nothing (left) to wait for, unless another daemon is just taking over
        const other = yield* poll(withRecord).pipe(Effect.timeoutOption(TakeoverGrace))
        return Option.isSome(other) ? other : yield* exited(child)
      }))

    const stageAtLeast = (startId: string, target: Stage) =>
      kube.watch(DiscoveryRef.type, { namespace: DiscoveryNamespace, fieldSelector: `metadata.name=${DiscoveryName}` }).pipe(
        Stream.filter((e) => (e.type === "ADDED" || e.type === "MODIFIED") && e.object.metadata.name === DiscoveryName),
        Stream.tap((e) =>
          e.type === "BOOKMARK" ? Effect.void : Effect.logDebug(
            `${DiscoveryNamespace}/${DiscoveryName} ${e.type}: stage ${stageOf(e.object, startId)} (waiting for ${target})`
          )
        ),
        Stream.filter((e) => e.type !== "BOOKMARK" && rank[stageOf(e.object, startId)] >= rank[target]),
        Stream.runHead,
        Effect.flatMap(Option.match({ onNone: () => Effect.fail("watch ended" as const), onSome: () => Effect.void })),
        Effect.tapError((e) => Effect.logDebug(`watching ${DiscoveryNamespace}/${DiscoveryName}: ${typeof e === "string" ? e : e.message}`)),
        Effect.retry(WatchRetry),
        Effect.orDie
      )

    const steps = (startId: string) =>
      Effect.gen(function*() {
        yield* phase(Phases.api, pollUntil(readyz))
        yield* phase(Phases.controllers, stageAtLeast(startId, "registered"))
        yield* phase(Phases.crds, stageAtLeast(startId, "ready"))
      })

    const loop = (child: Option.Option<number>): Effect.Effect<Awaited, Failure, R> =>
      Effect.gen(function*() {
        const run = yield* phase(Phases.api, resolve(child))
        // the daemon's death ends the wait at once, unless another daemon took over
        const death = Effect.zipRight(
          pm.awaitExit(run.pid),
          Effect.map(poll(withRecord).pipe(Effect.timeoutOption(TakeoverGrace)), Option.filter((o) => o.pid !== run.pid))
        )
        const outcome = yield* Effect.raceFirst(
          Effect.as(steps(run.record.startId), Option.none<Awaited>()),
          Effect.flatMap(death, Option.match({ onNone: () => exited(Option.some(run.pid)), onSome: (o) => Effect.succeed(Option.some(o)) }))
        )
        return Option.isNone(outcome) ? run : yield* loop(Option.none())
      })

    const body = Effect.gen(function*() {
      if (options.spawned === undefined) {
        const now = yield* ReadyNow.readyDaemon
        if (Option.isSome(now)) return now.value
      }
      return yield* loop(Option.fromNullable(options.spawned?.pid))
    })

    const what = `${quoted(dir.instance)} control plane to be ready`
    const leftBehind = StartLeftBehind.describe({ spawned: Option.fromNullable(options.spawned?.pid), holder: Option.none() })
    return yield* waitFor(what, deadline, body, { leftBehind })
  })
