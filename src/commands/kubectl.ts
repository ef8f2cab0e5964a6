/**
 * `rdd kubectl ARGS...` (SPEC 5): the real kubectl with the arguments unchanged
 * and its exit code passed on; no autostart, the caller's KUBECONFIG applies.
 * Also what rdd does when invoked through a symlink named `kubectl` (multicall).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import { runKubectl } from "./kubectl-run.js"

export { runKubectl } from "./kubectl-run.js"

/** Everything after the command name, untouched (cli.ts inserts `--` so @effect/cli parses none of it). */
export const passThroughArgs = Args.text({ name: "ARGS" }).pipe(Args.repeated, Args.withDescription("kubectl's own arguments"))

export const kubectl = Command.make("kubectl", { args: passThroughArgs }, ({ args }) => runKubectl(args)).pipe(
  Command.withDescription("Run kubectl with the given arguments (the real kubectl from RDD_KUBECTL or PATH)")
)
