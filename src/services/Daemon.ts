/**
 * Finding the instance's running daemon from its files, without side effects:
 * a pid counts only if that process is alive AND is an rdd daemon of this
 * instance (pid reuse is caught by the identity check). A stale pid file is
 * simply ignored here; the next daemon replaces it. Each judgement is logged at
 * debug level with its reason: it is what a user needs when "is it running?" gets
 * a surprising answer.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { RunRecord } from "../domain/RunRecord.js"
import { InstanceDir } from "./InstanceDir.js"
import { isDaemonOf, ProcessManager } from "./ProcessManager.js"

export interface RunningDaemon {
  readonly pid: number
  /** the run record, when it belongs to this pid */
  readonly record: Option.Option<RunRecord>
}

export const findDaemon: Effect.Effect<Option.Option<RunningDaemon>, never, InstanceDir | ProcessManager> = Effect.gen(
  function*() {
    const dir = yield* InstanceDir
    const pm = yield* ProcessManager
    const pidFile = dir.paths.pid_file
    const pid = yield* dir.readPid
    if (Option.isNone(pid)) {
      yield* Effect.logDebug(`no daemon: ${pidFile} is absent or holds no pid`)
      return Option.none()
    }
    const identity = yield* pm.identity(pid.value)
    if (Option.isNone(identity)) {
      yield* Effect.logDebug(`no daemon: pid ${pid.value} (from ${pidFile}) is not running; the pid file is stale`)
      return Option.none()
    }
    if (!isDaemonOf(identity.value, dir.instance.suffix)) {
      yield* Effect.logDebug(
        `no daemon: pid ${pid.value} (from ${pidFile}) is alive but is not this instance's daemon ` +
          `(${JSON.stringify(identity.value.argv.join(" ").slice(0, 120))}); the pid file is stale`
      )
      return Option.none()
    }
    const record = Option.filter(yield* dir.readRunRecord, (r) => r.pid === pid.value)
    yield* Effect.logDebug(
      `daemon pid ${pid.value} is alive and serves instance ${JSON.stringify(dir.instance.suffix)} (its argv says so); ` +
        Option.match(record, {
          onNone: () => `no run record of it yet in ${dir.paths.run_file}`,
          onSome: (r) => `run record: start id ${r.startId}, ${r.port === undefined ? `not listening yet (asked for port ${r.desiredPort})` : `listening on port ${r.port}`}`
        })
    )
    return Option.some({ pid: pid.value, record })
  }
)
