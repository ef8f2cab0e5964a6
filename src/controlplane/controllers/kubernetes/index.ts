/**
 * The `kubernetes` controller: mirrors k3s in the App's VM into the App's
 * `KubernetesReady` condition and keeps the instance's kube context in the
 * user's kubeconfig (Reconciler.ts), on the worker the App's condition
 * controllers share (../app/ConditionWorker.ts).
 */
import * as Effect from "effect/Effect"
import * as os from "node:os"
import * as path from "node:path"
import * as K3s from "../../../domain/app/K3s.js"
import * as KubernetesReady from "../../../domain/app/KubernetesReady.js"
import { KubeClient } from "../../../services/KubeClient.js"
import * as ConditionWorker from "../app/ConditionWorker.js"
import { type Controller, Daemon } from "../Controller.js"
import * as Files from "./Files.js"
import * as Guest from "./Guest.js"
import * as Reconciler from "./Reconciler.js"

/** Starts the worker and the watches in the current scope. Exposed for tests (fake KubeClient and guest, TestClock). */
export const start = (deps: Reconciler.Deps) => ConditionWorker.start<Reconciler.Memory>("kubernetes", deps.kube, (memory) => Reconciler.pass(deps, memory))

export const kubernetes: Controller = {
  name: K3s.ControllerName,
  run: Effect.gen(function*() {
    const kube = yield* KubeClient
    const daemon = yield* Daemon
    const suffix = daemon.instance.replace(/^rancher-desktop-/, "")
    yield* start({
      kube,
      guest: Guest.readOverSsh,
      api: Guest.readyz,
      serverAnswers: Guest.serverAnswers,
      contextName: `rancher-desktop-${suffix}`,
      // ~/.kube/config, not $KUBECONFIG: the control plane's environment is whichever shell started it
      userConfig: Files.file(path.join(os.homedir(), ".kube", "config")),
      standalone: Files.file(path.join(daemon.paths.short_dir, "kube.config")),
      mirror: Files.file(daemon.paths.k3s_config),
      limaHome: daemon.paths.lima_home,
      failAfter: KubernetesReady.DefaultFailAfter
    })
    yield* Effect.logInfo("kubernetes controller running")
  })
}
