/**
 * Processes in domain terms: spawn the daemon detached, signal it gracefully or
 * forcefully, tell whether a pid is still *our* daemon (not a reused pid), and
 * await an exit. The one place that knows which OS signal means what.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import { servesInstance } from "../domain/CommandLine.js"
import type { Failure } from "../domain/Errors.js"

/** graceful = SIGINT (the daemon drains), forceful = SIGTERM (the daemon's second signal: immediate exit),
 * kill = SIGKILL, freeze/thaw = SIGSTOP/SIGCONT (used by tests to make a process unresponsive). */
export type SignalKind = "graceful" | "forceful" | "kill" | "freeze" | "thaw"

export interface SpawnRequest {
  /** arguments after the rdd entry point, e.g. ["--instance", "2", "svc", "serve"] */
  readonly args: ReadonlyArray<string>
  readonly stdoutFile: string
  readonly stderrFile: string
  readonly env?: Readonly<Record<string, string>>
}

export interface Spawned {
  readonly pid: number
  /** completes with the exit code (null when killed by a signal) if the child exits while we still run */
  readonly exited: Effect.Effect<number | null>
}

export interface ProcessIdentity {
  readonly pid: number
  /** argv of the process as the OS reports it */
  readonly argv: ReadonlyArray<string>
}

export interface ProcessManagerShape {
  readonly spawnDaemon: (request: SpawnRequest) => Effect.Effect<Spawned, Failure>
  /** false when there is no such process */
  readonly signal: (pid: number, kind: SignalKind) => Effect.Effect<boolean>
  readonly isAlive: (pid: number) => Effect.Effect<boolean>
  /** None when the process does not exist */
  readonly identity: (pid: number) => Effect.Effect<Option.Option<ProcessIdentity>>
  /** resolves when the pid no longer exists (polls liveness every 100ms; bound it with waitFor) */
  readonly awaitExit: (pid: number) => Effect.Effect<void>
}

export class ProcessManager extends Context.Tag("rdd/ProcessManager")<ProcessManager, ProcessManagerShape>() {}

/** Is this process an rdd daemon serving the given instance? Guards against pid reuse. */
export const isDaemonOf = (identity: ProcessIdentity, suffix: string): boolean => servesInstance(identity.argv, suffix)
