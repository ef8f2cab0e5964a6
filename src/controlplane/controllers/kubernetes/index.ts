/**
 * The `kubernetes` controller: mirrors k3s in the App's VM into the App's
 * `KubernetesReady` condition and keeps the instance's kube context in the
 * user's kubeconfig (Reconciler.ts). One worker; a pass runs when the App, its
 * LimaVM `rd` or the VM's template copy changes, and again after the delay the
 * pass asks for while k3s is expected (k3s sends no events of its own). A
 * failed pass is retried after a fixed delay.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as os from "node:os"
import * as path from "node:path"
import * as App from "../../../domain/App.js"
import * as K3s from "../../../domain/app/K3s.js"
import * as KubernetesReady from "../../../domain/app/KubernetesReady.js"
import { Core, type ResourceType } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import { KubeClient, type KubeClientShape } from "../../../services/KubeClient.js"
import { type Controller, Daemon } from "../Controller.js"
import * as Files from "./Files.js"
import * as Guest from "./Guest.js"
import * as Reconciler from "./Reconciler.js"

const WatchRetry = Duration.seconds(2)
const RetryAfterFailure = Duration.seconds(5)

/** Starts the worker and the watches in the current scope. Exposed for tests (fake KubeClient and guest, TestClock). */
export const start = (deps: Reconciler.Deps) =>
  Effect.gen(function*() {
    const wake = yield* Queue.sliding<void>(1)
    const memory = yield* Ref.make(Option.none<Reconciler.Memory>())
    const worker: Effect.Effect<never> = Effect.gen(function*() {
      const next = yield* Reconciler.pass(deps, memory).pipe(
        Effect.catchAll((message) => Effect.as(Effect.logDebug(`kubernetes: ${message} (retrying)`), RetryAfterFailure))
      )
      yield* next === undefined ? Queue.take(wake) : Effect.raceFirst(Queue.take(wake), Effect.sleep(next))
    }).pipe(Effect.forever)
    const follow = (type: ResourceType, options: Parameters<KubeClientShape["watch"]>[1]) =>
      deps.kube.watch(type, options).pipe(
        Stream.runForEach((event) => (event.type === "BOOKMARK" ? Effect.void : Queue.offer(wake, undefined))),
        Effect.catchAll((e) => Effect.logDebug(`kubernetes controller: watch of ${type.resource} failed: ${e.message}; retrying`)),
        Effect.zipRight(Effect.sleep(WatchRetry)),
        Effect.forever,
        Effect.forkScoped
      )
    yield* follow(App.AppType, { fieldSelector: `metadata.name=${App.SingletonName}` })
    yield* follow(LimaVm.LimaVmType, { fieldSelector: `metadata.name=${App.VmName}` })
    yield* follow(Core.configmaps, { fieldSelector: `metadata.name=${App.TemplateCopyName}` })
    yield* Effect.forkScoped(worker)
  })

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
