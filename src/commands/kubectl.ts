/**
 * `rdd kubectl ARGS...` (SPEC 5): the real kubectl with the arguments unchanged
 * and its exit code passed on; no autostart, the caller's KUBECONFIG applies.
 * Also what rdd does when invoked through a symlink named `kubectl` (multicall).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { ChildExit } from "../domain/Errors.js"
import { Kubectl } from "../services/Kubectl.js"

/** Everything after the command name, untouched (cli.ts inserts `--` so @effect/cli parses none of it). */
export const passThroughArgs = Args.text({ name: "ARGS" }).pipe(Args.repeated, Args.withDescription("kubectl's own arguments"))

/** Runs kubectl and turns a non-zero exit into ChildExit (the same exit code, no extra message). */
export const runKubectl = (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) =>
  Effect.flatMap(Kubectl, (k) => k.run(args, env)).pipe(
    Effect.flatMap((code) => (code === 0 ? Effect.void : Effect.fail(new ChildExit({ code, message: `kubectl exited with code ${code}` }))))
  )

export const kubectl = Command.make("kubectl", { args: passThroughArgs }, ({ args }) => runKubectl(args)).pipe(
  Command.withDescription("Run kubectl with the given arguments (the real kubectl from RDD_KUBECTL or PATH)")
)
