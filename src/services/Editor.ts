/**
 * The user's text editor, as `kubectl edit` runs it (`rdd limavm edit`): a text
 * goes into a temporary file, the editor runs on the caller's terminal, and the
 * file's text comes back. The file stays until `discard`, so a failed edit can
 * tell the user where their changes are.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Failure } from "../domain/Errors.js"

export interface EditorShape {
  /** A new empty temporary file whose name starts with `prefix` and ends in `.yaml`. */
  readonly tempFile: (prefix: string) => Effect.Effect<string, Failure>
  /** Writes `text` to `path`, runs the editor on it, returns what it saved; a failing editor is a Failure. */
  readonly edit: (path: string, text: string) => Effect.Effect<string, Failure>
  readonly discard: (path: string) => Effect.Effect<void>
}

export class Editor extends Context.Tag("rdd/Editor")<Editor, EditorShape>() {}
