/**
 * The exit-code contract (SPEC 1.1) and the ONE function that maps an outcome to it.
 * Nothing else in rdd decides an exit code.
 */
import * as Cause from "effect/Cause"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type { CommandError } from "./Errors.js"

export const ExitCode = {
  Success: 0,
  Failure: 1,
  Usage: 2,
  Rejected: 3,
  Timeout: 4,
  Interrupted: 130
} as const
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode]

const byTag: Record<CommandError["_tag"], ExitCode> = {
  UsageError: ExitCode.Usage,
  Rejected: ExitCode.Rejected,
  WaitTimeout: ExitCode.Timeout,
  NotFound: ExitCode.Failure,
  Failure: ExitCode.Failure,
  Interrupted: ExitCode.Interrupted,
  ChildExit: ExitCode.Failure
}

const isTagged = (u: unknown): u is { readonly _tag: string } =>
  typeof u === "object" && u !== null && "_tag" in u && typeof (u as { _tag: unknown })._tag === "string"

/** Maps a typed error to its exit code; anything unknown is a plain failure. */
export const exitCodeFor = (error: unknown): ExitCode => {
  if (!isTagged(error)) return ExitCode.Failure
  if (error._tag === "TimeoutException") return ExitCode.Timeout
  // a pass-through child's own code (kubectl), passed on unchanged
  if (error._tag === "ChildExit" && "code" in error && typeof error.code === "number") return error.code as ExitCode
  return byTag[error._tag as CommandError["_tag"]] ?? ExitCode.Failure
}

/** Maps a whole program outcome: success 0, interruption 130, defects 1. */
export const exitCodeOf = <A, E>(exit: Exit.Exit<A, E>): ExitCode =>
  Exit.match(exit, {
    onSuccess: () => ExitCode.Success,
    onFailure: (cause) =>
      Cause.isInterruptedOnly(cause)
        ? ExitCode.Interrupted
        : Option.match(Cause.failureOption(cause), { onNone: () => ExitCode.Failure, onSome: exitCodeFor })
  })
