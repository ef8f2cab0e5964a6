/**
 * The KubeClient layer on the instance's real API server. Its body (and with it
 * @kubernetes/client-node) is loaded with a dynamic import on first USE, not when
 * the layer is built: `rdd --version` and `rdd svc status` never load it (esbuild
 * puts it in its own chunk), and `svc start` spawns the daemon before paying for
 * the import, which then overlaps the daemon's own start-up.
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Stream from "effect/Stream"
import { InstanceDir } from "../services/InstanceDir.js"
import { KubeClient, type KubeClientShape } from "../services/KubeClient.js"

const lazy = (kubeconfigPath: string): Effect.Effect<KubeClientShape> =>
  Effect.map(
    Effect.cached(Effect.map(Effect.promise(() => import("./kube/Rest.js")), (rest) => rest.make(kubeconfigPath))),
    (get): KubeClientShape => ({
      readyz: Effect.flatMap(get, (k) => k.readyz),
      get: (ref) => Effect.flatMap(get, (k) => k.get(ref)),
      list: (type, options) => Effect.flatMap(get, (k) => k.list(type, options)),
      watch: (type, options) => Stream.unwrap(Effect.map(get, (k) => k.watch(type, options))),
      create: (type, object, options) => Effect.flatMap(get, (k) => k.create(type, object, options)),
      update: (ref, object, options) => Effect.flatMap(get, (k) => k.update(ref, object, options)),
      patch: (ref, patch, type, options) => Effect.flatMap(get, (k) => k.patch(ref, patch, type, options)),
      patchStatus: (ref, patch, type) => Effect.flatMap(get, (k) => k.patchStatus(ref, patch, type)),
      delete: (ref, options) => Effect.flatMap(get, (k) => k.delete(ref, options))
    })
  )

export const layer: Layer.Layer<KubeClient, never, InstanceDir> = Layer.effect(
  KubeClient,
  Effect.flatMap(InstanceDir, (dir) => lazy(dir.paths.config))
)

/** For a given kubeconfig file (tests, tools). */
export const forKubeconfig = (path: string): Layer.Layer<KubeClient> => Layer.effect(KubeClient, lazy(path))
