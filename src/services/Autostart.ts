/**
 * Autostart (SPEC 2.9): commands that need the API (`svc config`, `rdd ctl`,
 * `rdd set`, the app's start/stop, every `limavm` verb) call `ensureRunning`
 * with their own deadline. It creates the instance if needed, starts the daemon
 * if it is not running, and waits for readiness — all within min(90s, what
 * remains of the caller's deadline), so autostart can never outlast the command
 * nor hang a `--timeout=0` command. Timeout → exit 4. It says `starting ...` when
 * it starts a daemon, and the phase lines while waiting, but never `... is ready`.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Deadline from "../domain/Deadline.js"
import type { Failure, WaitTimeout } from "../domain/Errors.js"
import * as Timeouts from "../domain/Timeouts.js"
import * as Verbosity from "../domain/Verbosity.js"
import { create, launch, noSettings } from "./ControlPlane.js"
import { findDaemon } from "./Daemon.js"
import { InstanceDir } from "./InstanceDir.js"
import { Invocation } from "./Invocation.js"
import type { KubeClient } from "./KubeClient.js"
import type { ProcessManager } from "./ProcessManager.js"
import type { Progress } from "./Progress.js"
import { type Awaited, awaitReady } from "./Readiness.js"

/** The autostart budget for a command whose own deadline is `deadline`: min(90s, remaining). */
export const budget = (deadline: Deadline.Deadline): Effect.Effect<Deadline.Deadline> => Deadline.capped(deadline, Timeouts.AutostartCap)

export const ensureRunning = (
  deadline: Deadline.Deadline
): Effect.Effect<Awaited, Failure | WaitTimeout, InstanceDir | ProcessManager | KubeClient | Progress | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const capped = yield* budget(deadline)
    if (!(yield* dir.isCreated)) yield* create(noSettings)
    const session = { ...noSettings, ...Verbosity.session(yield* Invocation) }
    const spawned = Option.isSome(yield* findDaemon) ? Option.none() : yield* launch(capped, session, { hold: true })
    return yield* Option.match(spawned, {
      onNone: () => awaitReady(capped),
      onSome: (s) => awaitReady(capped, { spawned: s })
    })
  })
