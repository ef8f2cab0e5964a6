/**
 * Finding the instance's running daemon from its files, without side effects:
 * a pid counts only if that process is alive AND is an rdd daemon of this
 * instance (pid reuse is caught by the identity check). A stale pid file is
 * simply ignored here; the next daemon replaces it.
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
    const pid = yield* dir.readPid
    if (Option.isNone(pid)) return Option.none()
    const identity = yield* pm.identity(pid.value)
    if (Option.isNone(identity) || !isDaemonOf(identity.value, dir.instance.suffix)) return Option.none()
    const record = Option.filter(yield* dir.readRunRecord, (r) => r.pid === pid.value)
    return Option.some({ pid: pid.value, record })
  }
)
