/**
 * What `rdd ctl ARGS...` does for kubectl's own words (SPEC 5), without @effect/cli:
 * run by ctl.ts and, directly, by cli.ts (domain/DirectCommand.ts).
 */
import * as Effect from "effect/Effect"
import * as Deadline from "../domain/Deadline.js"
import { ensureRunning } from "../services/Autostart.js"
import { InstanceDir } from "../services/InstanceDir.js"
import { Kubectl } from "../services/Kubectl.js"
import { runKubectl } from "./kubectl-run.js"

export const kubectlOnInstance = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    // no kubectl: say so at once, without starting the control plane for nothing
    yield* Effect.flatMap(Kubectl, (k) => k.locate)
    // ctl has no deadline of its own: autostart's 90s cap is the bound
    yield* ensureRunning(yield* Deadline.forever)
    yield* runKubectl(args, { KUBECONFIG: dir.paths.config })
  })
