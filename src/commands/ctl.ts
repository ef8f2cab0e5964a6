/**
 * `rdd ctl ARGS...` (SPEC 5): autostart the control plane (within 90s), then run
 * kubectl against it with KUBECONFIG forced to the instance's kubeconfig; the
 * exit code of kubectl is passed on.
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Deadline from "../domain/Deadline.js"
import { ensureRunning } from "../services/Autostart.js"
import { InstanceDir } from "../services/InstanceDir.js"
import { Kubectl } from "../services/Kubectl.js"
import * as WaitCondition from "./ctl-wait-condition.js"
import { passThroughArgs, runKubectl } from "./kubectl.js"

export const ctl = Command.make("ctl", { args: passThroughArgs }, ({ args }) =>
  Effect.gen(function*() {
    if (args[0] === WaitCondition.Name) return yield* WaitCondition.waitCondition(args.slice(1))
    const dir = yield* InstanceDir
    // no kubectl: say so at once, without starting the control plane for nothing
    yield* Effect.flatMap(Kubectl, (k) => k.locate)
    // ctl has no deadline of its own: autostart's 90s cap is the bound
    yield* ensureRunning(yield* Deadline.forever)
    yield* runKubectl(args, { KUBECONFIG: dir.paths.config })
  })).pipe(
    Command.withDescription("Run kubectl against this instance's control plane, starting it if needed")
  )
