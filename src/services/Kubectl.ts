/**
 * The real `kubectl`, run in the foreground with rdd's stdio (SPEC 5): found
 * through RDD_KUBECTL, else PATH (never rdd itself through a `kubectl` symlink).
 * `run` yields kubectl's exit code; a missing kubectl is a Failure that says how
 * to install it.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Failure } from "../domain/Errors.js"

export interface KubectlShape {
  /** The kubectl that `run` would use; a Failure saying how to install it when there is none. */
  readonly locate: Effect.Effect<string, Failure>
  /** Runs kubectl with `args` unchanged; `env` entries are added to (and override) rdd's environment. */
  readonly run: (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) => Effect.Effect<number, Failure>
}

export class Kubectl extends Context.Tag("rdd/Kubectl")<Kubectl, KubectlShape>() {}

export const InstallHint =
  "kubectl was not found: install it (e.g. https://kubernetes.io/docs/tasks/tools/ or your package manager) " +
  "and put it on PATH, or set RDD_KUBECTL to its path"
