/**
 * The typed failures every command can end with. Each class carries its own
 * classification (exit code, outcome kind, report level) in its
 * `classification` getter, read by `ExitCode.classify`, so adding an error class
 * is one place; messages are written for a person at a terminal.
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import { type Classification, ExitCode } from "./ExitCode.js"
import * as GoDuration from "./GoDuration.js"

/** Bad command line: unknown flag or command, bad flag value, wrong argument count (exit 2). */
export class UsageError extends Data.TaggedError("UsageError")<{
  readonly message: string
}> {
  get classification(): Classification {
    return { exitCode: ExitCode.Usage, outcome: "failed", report: "fatal" }
  }
}

/** The API server refused a write: admission, validation, immutability (exit 3). */
export class Rejected extends Data.TaggedError("Rejected")<{
  readonly message: string
  readonly code?: number
  readonly reason?: string
}> {
  get classification(): Classification {
    return { exitCode: ExitCode.Rejected, outcome: "rejected", report: "error" }
  }
}

/** A wait deadline passed before the desired state was reached (exit 4). */
export class WaitTimeout extends Data.TaggedError("WaitTimeout")<{
  /** what was awaited, e.g. `"rancher-desktop-2" control plane to be ready` */
  readonly what: string
  /** the command's whole budget (not what remained of it) */
  readonly budget: Duration.Duration
  /** what the command leaves behind, e.g. "the control plane keeps starting in the background (pid 42)" */
  readonly leftBehind?: string
}> {
  get classification(): Classification {
    return { exitCode: ExitCode.Timeout, outcome: "timeout", report: "error" }
  }
  override get message(): string {
    const base = `timed out after ${GoDuration.format(this.budget)} waiting for ${this.what}: context deadline exceeded`
    return this.leftBehind === undefined ? base : `${base}; ${this.leftBehind}`
  }
}

/** Something that must exist does not (exit 1). */
export class NotFound extends Data.TaggedError("NotFound")<{
  readonly message: string
}> {
  get classification(): Classification {
    return { exitCode: ExitCode.Failure, outcome: "failed", report: "fatal" }
  }
}

/** Any other failure; `message` says what happened and what to do (exit 1). */
export class Failure extends Data.TaggedError("Failure")<{
  readonly message: string
  readonly cause?: unknown
}> {
  get classification(): Classification {
    return { exitCode: ExitCode.Failure, outcome: "failed", report: "fatal" }
  }
}

/** The user pressed Ctrl-C while the command waited (exit 130). */
export class Interrupted extends Data.TaggedError("Interrupted")<{
  readonly message: string
}> {
  get classification(): Classification {
    return { exitCode: ExitCode.Interrupted, outcome: "interrupted", report: "error" }
  }
}

/**
 * A pass-through command (`rdd kubectl`, `rdd ctl`) ended with `code`: rdd exits
 * with the same code and prints nothing more (the child has said why).
 */
export class ChildExit extends Data.TaggedError("ChildExit")<{
  readonly code: number
  readonly message: string
}> {
  /** the child's own code, passed on unchanged; it has already said why, so rdd reports nothing */
  get classification(): Classification {
    return { exitCode: this.code, outcome: "failed", report: "none" }
  }
}

export type CommandError = UsageError | Rejected | WaitTimeout | NotFound | Failure | Interrupted | ChildExit

/** Adds (or replaces) what a timed-out command leaves behind. */
export const leavingBehind = (leftBehind: string) => (e: WaitTimeout): WaitTimeout =>
  new WaitTimeout({ what: e.what, budget: e.budget, leftBehind })
