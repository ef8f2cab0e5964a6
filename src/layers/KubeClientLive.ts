/**
 * The KubeClient layer on the instance's real API server. Its body (and with it
 * @kubernetes/client-node) is loaded with a dynamic import when the layer is
 * built, so only commands that talk to the API pay for it: `rdd --version` and
 * `rdd svc status` never load it (esbuild puts it in its own chunk).
 */
import { Effect, Layer } from "effect"
import { InstanceDir } from "../services/InstanceDir.js"
import { KubeClient } from "../services/KubeClient.js"

export const layer: Layer.Layer<KubeClient, never, InstanceDir> = Layer.effect(
  KubeClient,
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const rest = yield* Effect.promise(() => import("./kube/Rest.js"))
    return rest.make(dir.paths.config)
  })
)

/** For a given kubeconfig file (tests, tools). */
export const forKubeconfig = (path: string): Layer.Layer<KubeClient> =>
  Layer.effect(KubeClient, Effect.map(Effect.promise(() => import("./kube/Rest.js")), (rest) => rest.make(path)))
