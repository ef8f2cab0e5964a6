/**
 * The wiring `rdd ctl` needs on a ready control plane (commands/ctl-run.ts,
 * `kubectlIfReady`): the API client for the readiness look, and kubectl. Kept
 * apart from CliLive.ts, whose @effect/platform FileSystem loads Schema and Stream
 * (SPEC 6: start-up time); CliLive includes it.
 */
import * as Layer from "effect/Layer"
import * as KubeClientLive from "./KubeClientLive.js"
import * as NodeKubectl from "./NodeKubectl.js"

export const layer = Layer.merge(KubeClientLive.layer, NodeKubectl.layer)
