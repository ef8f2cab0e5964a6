/**
 * A child process in the foreground (`rdd run`): it shares rdd's stdin, stdout and
 * stderr, and its exit status is the result. The environment rdd was started with
 * comes from here too, so a command builds the child's environment without reading
 * the process's own.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Failure } from "../domain/Errors.js"

export interface RunChildShape {
  /** rdd's own environment, the base of a child's */
  readonly inherited: Readonly<Record<string, string | undefined>>
  /** The child's exit status (255 when a signal ended it); interrupting the fiber ends the child. */
  readonly run: (command: string, args: ReadonlyArray<string>, env: Record<string, string>) => Effect.Effect<number, Failure>
}

export class RunChild extends Context.Tag("rdd/RunChild")<RunChild, RunChildShape>() {}
