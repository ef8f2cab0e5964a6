/**
 * What `rdd ctl ARGS...` does for kubectl's own words (SPEC 5), without @effect/cli:
 * run by ctl.ts and, directly, by cli.ts (domain/DirectCommand.ts).
 *
 * Split in two for start-up time (SPEC 6): `kubectlIfReady` is the common case, a
 * control plane that already runs and is ready (ReadyNow's one look), and needs no
 * more than the API client and kubectl; `kubectlOnInstance` is the whole command,
 * with autostart (creating, launching, waiting: the lifecycle code, @effect/platform's
 * FileSystem, Stream), loaded only when it runs.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Deadline from "../domain/Deadline.js"
import * as Timeouts from "../domain/Timeouts.js"
import { InstanceDir } from "../services/InstanceDir.js"
import { Kubectl } from "../services/Kubectl.js"
import { readyDaemon } from "../services/ReadyNow.js"
import { runKubectl } from "./kubectl-run.js"

/** no kubectl: say so at once, without starting the control plane for nothing */
const locate = Effect.flatMap(Kubectl, (k) => k.locate)

const kubectl = (args: ReadonlyArray<string>) => Effect.flatMap(InstanceDir, (dir) => runKubectl(args, { KUBECONFIG: dir.paths.config }))

/**
 * Runs kubectl when the instance's control plane is running and ready right now
 * (true); otherwise does nothing else and yields false (the caller then runs
 * `kubectlOnInstance`, whose autostart waits for it).
 */
export const kubectlIfReady = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    yield* locate
    if (Option.isNone(yield* readyDaemon)) return false
    yield* kubectl(args)
    return true
  })

/**
 * ctl has no deadline of its own: autostart's 90s cap is the bound. Taken when the
 * command starts, so that a `kubectlIfReady` look that found no ready control plane
 * (it may wait up to its own 2s bound on a frozen daemon) counts against it.
 */
export const deadline: Effect.Effect<Deadline.Deadline> = Effect.flatMap(Deadline.forever, (d) => Deadline.capped(d, Timeouts.AutostartCap))

/** The whole command: autostart within `within` (by default the cap from now), then kubectl. */
export const kubectlOnInstance = (args: ReadonlyArray<string>, within?: Deadline.Deadline) =>
  Effect.gen(function*() {
    yield* locate
    const { ensureRunning } = yield* Effect.promise(() => import("../services/Autostart.js"))
    yield* ensureRunning(within ?? (yield* deadline))
    yield* kubectl(args)
  })
