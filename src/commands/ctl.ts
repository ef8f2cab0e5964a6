/**
 * `rdd ctl ARGS...` (SPEC 5): autostart the control plane (within 90s), then run
 * kubectl against it with KUBECONFIG forced to the instance's kubeconfig; the
 * exit code of kubectl is passed on.
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as WaitCondition from "./ctl-wait-condition.js"
import { kubectlOnInstance } from "./ctl-run.js"
import { passThroughArgs } from "./kubectl.js"

export const ctl = Command.make("ctl", { args: passThroughArgs }, ({ args }) =>
  Effect.gen(function*() {
    if (args[0] === WaitCondition.Name) return yield* WaitCondition.waitCondition(args.slice(1))
    yield* kubectlOnInstance(args)
  })).pipe(
    Command.withDescription("Run kubectl against this instance's control plane, starting it if needed")
  )
