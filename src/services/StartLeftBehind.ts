/**
 * What a start that ran out of time, or was interrupted, leaves behind — judged
 * from the process table at that moment, never assumed. A message that says the
 * control plane "keeps starting (pid N)" when nothing was spawned, or when the
 * daemon had been running all along, sends users looking for a process that
 * does not exist or waiting for one that is not coming.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { quoted } from "../domain/Instance.js"
import { findDaemon } from "./Daemon.js"
import { InstanceDir } from "./InstanceDir.js"
import { ProcessManager } from "./ProcessManager.js"

export interface StartFacts {
  /** the daemon this command spawned, if it spawned one */
  readonly spawned: Option.Option<number>
  /** the other rdd process last seen holding the start gate, if any */
  readonly holder: Option.Option<number>
}

export const nothingSpawned: StartFacts = { spawned: Option.none(), holder: Option.none() }

export const describe = (facts: StartFacts): Effect.Effect<string, never, InstanceDir | ProcessManager> =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const pm = yield* ProcessManager
    const name = quoted(dir.instance)
    const daemon = yield* findDaemon
    if (Option.isSome(facts.spawned)) {
      const pid = facts.spawned.value
      if (yield* pm.isAlive(pid)) return `the ${name} control plane keeps starting in the background (pid ${pid})`
      if (Option.isNone(daemon)) return `the ${name} control plane this command started (pid ${pid}) has exited; see "rdd svc log"`
    }
    if (Option.isSome(facts.holder) && (yield* pm.isAlive(facts.holder.value))) {
      return `another rdd process (pid ${facts.holder.value}) keeps starting the ${name} control plane`
    }
    if (Option.isSome(daemon)) {
      // started before this command (or by another one): it runs, but its readiness was not confirmed in time
      return `the ${name} control plane keeps running (pid ${daemon.value.pid}); it was not confirmed ready in time`
    }
    return `this command started nothing: the ${name} control plane is not running`
  })
