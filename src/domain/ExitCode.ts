/**
 * The exit-code contract (SPEC 1.1; its table in ExitCodes.ts) and the ONE function
 * that maps an outcome to it. Nothing else in rdd decides an exit code (the bin's
 * `rdd ctl` path passes kubectl's on, as ChildExit does): each error class says its own
 * (Errors.ts, `classification`), and `classify` reads it.
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { ExitCode } from "./ExitCodes.js"

export { ExitCode } from "./ExitCodes.js"

/** The outcome kinds a failed command reports (a subset of Outcome.OutcomeKind). */
export type FailureOutcome = "timeout" | "rejected" | "failed" | "interrupted"

/**
 * How a failure is classified: its exit code, the outcome `--output json`
 * reports, and the level of its one stderr line (`none`: the failure has
 * already been told, e.g. by a pass-through child).
 */
export interface Classification {
  readonly exitCode: number
  readonly outcome: FailureOutcome
  readonly report: "error" | "fatal" | "none"
}

/** Anything not classified by its own class: a plain failure. */
const unclassified: Classification = { exitCode: ExitCode.Failure, outcome: "failed", report: "fatal" }
/** Effect's own `Effect.timeout` failure, which cannot carry a field of ours. */
const timedOut: Classification = { exitCode: ExitCode.Timeout, outcome: "timeout", report: "error" }

const isClassified = (u: unknown): u is { readonly classification: Classification } =>
  typeof u === "object" && u !== null && "classification" in u && typeof u.classification === "object" && u.classification !== null

/** The classification of any failure: the error's own (Errors.ts), else a plain failure. */
export const classify = (error: unknown): Classification =>
  isClassified(error) ? error.classification : Cause.isTimeoutException(error) ? timedOut : unclassified

/** Maps a typed error to its exit code; anything unknown is a plain failure. */
export const exitCodeFor = (error: unknown): number => classify(error).exitCode

/** Maps a whole program outcome: success 0, interruption 130, defects 1. */
export const exitCodeOf = <A, E>(exit: Exit.Exit<A, E>): number =>
  Exit.match(exit, {
    onSuccess: () => ExitCode.Success,
    onFailure: (cause) =>
      Cause.isInterruptedOnly(cause)
        ? ExitCode.Interrupted
        : Option.match(Cause.failureOption(cause), { onNone: () => ExitCode.Failure, onSome: exitCodeFor })
  })
