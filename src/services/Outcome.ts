/**
 * The outcome of a lifecycle command (SPEC 1.3): what the programs in
 * ControlPlane return, and the one JSON object `--output json` prints on stdout
 * when the command ends, whether it succeeded, failed, timed out or was
 * interrupted. The exit code in it comes from the one mapping in ExitCode.
 */
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import { classify, exitCodeOf } from "../domain/ExitCode.js"
import { LeftOnInterrupt } from "./Wait.js"

export type OutcomeKind =
  | "ready"
  | "starting"
  | "restarting"
  | "stopped"
  | "stopping"
  | "deleted"
  | "deleting"
  | "created"
  | "updated"
  | "updating"
  | "noop"
  | "timeout"
  | "rejected"
  | "failed"
  | "interrupted"

/**
 * The outcomes each lifecycle verb reports when it succeeds (docs/lifecycle.md,
 * "Outcomes"): the state reached when it waited, the state under way with
 * `--wait=false`, `noop` when there was nothing to do. Any verb may also end
 * with one of `FailureOutcomes`.
 */
export const Vocabulary = {
  "svc create": ["created", "noop"],
  "svc start": ["ready", "starting", "noop"],
  "svc stop": ["stopped", "stopping", "noop"],
  "svc delete": ["deleted", "noop"],
  "limavm create": ["created", "ready", "starting", "noop"],
  "limavm start": ["ready", "starting"],
  "limavm stop": ["stopped", "stopping"],
  "limavm restart": ["ready", "restarting"],
  "limavm delete": ["deleted", "deleting", "noop"],
  set: ["updated", "updating", "noop"],
  start: ["ready", "starting"],
  stop: ["stopped", "stopping", "noop"]
} as const satisfies Record<string, ReadonlyArray<OutcomeKind>>

export const FailureOutcomes = ["timeout", "rejected", "failed", "interrupted"] as const satisfies ReadonlyArray<OutcomeKind>

/** What a successful lifecycle program reports (it has already logged `message`). */
export interface Result {
  readonly outcome: OutcomeKind
  readonly message: string
  readonly pid?: number
}

export const result = (outcome: OutcomeKind, message: string, pid?: number): Result =>
  pid === undefined ? { outcome, message } : { outcome, message, pid }

/** Says `message` (the info line a person reads) and returns it as the command's result. */
export const finished = (outcome: OutcomeKind, message: string, pid?: number): Effect.Effect<Result> =>
  Effect.as(Effect.logInfo(message), result(outcome, message, pid))

export interface OutcomeRecord {
  readonly command: string
  readonly instance: string
  readonly outcome: OutcomeKind
  readonly exitCode: number
  readonly elapsedMs: number
  readonly pid?: number
  readonly message: string
  readonly leftBehind?: string
}

const field = (e: unknown, name: string): unknown =>
  typeof e === "object" && e !== null && name in e ? (e as Record<string, unknown>)[name] : undefined

/** Builds the record of a finished command from its Exit. */
export const recordOf = <E>(
  command: string,
  instance: string,
  elapsedMs: number,
  exit: Exit.Exit<Result, E>,
  /** what an interrupted wait left behind (Wait.LeftOnInterrupt) */
  leftOnInterrupt: Option.Option<string> = Option.none()
): OutcomeRecord => {
  const exitCode = exitCodeOf(exit)
  // key order as SPEC 1.3 shows it: command, instance, outcome, exitCode, elapsedMs, pid, message, leftBehind
  const make = (outcome: OutcomeKind, message: string, pid: unknown, leftBehind: unknown): OutcomeRecord => ({
    command,
    instance,
    outcome,
    exitCode,
    elapsedMs,
    ...(typeof pid === "number" ? { pid } : {}),
    message,
    ...(typeof leftBehind === "string" ? { leftBehind } : {})
  })
  if (Exit.isSuccess(exit)) return make(exit.value.outcome, exit.value.message, exit.value.pid, undefined)
  if (Cause.isInterruptedOnly(exit.cause)) {
    return Option.match(leftOnInterrupt, {
      onNone: () => make("interrupted", "interrupted", undefined, undefined),
      onSome: (left) => make("interrupted", `interrupted; ${left}`, undefined, left)
    })
  }
  return Option.match(Cause.failureOption(exit.cause), {
    onNone: () => make("failed", Cause.pretty(exit.cause).split("\n")[0] ?? "internal error", undefined, undefined),
    onSome: (e) => make(classify(e).outcome, String(field(e, "message") ?? e), field(e, "pid"), field(e, "leftBehind"))
  })
}

/**
 * Runs a lifecycle program and, when `json` is set, prints exactly one outcome
 * record on stdout as it ends (success, failure or interruption). The program's
 * own result or error passes through unchanged, so the exit code is unaffected.
 */
export const reporting = (command: string, instance: string, json: boolean) =>
<E, R>(self: Effect.Effect<Result, E, R>): Effect.Effect<Result, E, R> =>
  json
    ? Effect.flatMap(Clock.currentTimeMillis, (startedAt) =>
      Effect.onExit(self, (exit) =>
        Effect.all([Clock.currentTimeMillis, FiberRef.get(LeftOnInterrupt)]).pipe(
          Effect.flatMap(([now, left]) => Console.log(JSON.stringify(recordOf(command, instance, now - startedAt, exit, left))))
        )))
    : self
