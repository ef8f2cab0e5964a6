/**
 * The `app` controller as the daemon's framework sees it (Controller.ts): the
 * App CRD, the defaulter/validator admission plugins, and a scoped run with one
 * worker for the singleton. Watches on the App, on LimaVMs named `rd` and on
 * their template copies wake the worker; each wake-up runs one reconcile pass
 * (bursts coalesce). A failed pass is retried with capped exponential backoff,
 * cut short by a change the pass did not make itself (a new App generation or
 * deletion, any LimaVM or template event), so a failing App never hot-loops.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"
import * as App from "../../../domain/App.js"
import { crd } from "../../../domain/app/Crd.js"
import { Core, type KubeObject, type ResourceType } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import { KubeClient, type KubeClientShape } from "../../../services/KubeClient.js"
import { type Controller, Daemon } from "../Controller.js"
import * as Discovery from "../Discovery.js"
import { ControllerName as EngineControllerName } from "../../../domain/app/Engine.js"
import { ControllerName as KubernetesControllerName } from "../../../domain/app/K3s.js"
import * as Admission from "./Admission.js"
import * as Host from "./Host.js"
import * as Reconciler from "./Reconciler.js"

export interface BackoffPolicy {
  readonly initial: Duration.Duration
  readonly max: Duration.Duration
}

const WatchRetry = Duration.seconds(2)

export const DefaultBackoff: BackoffPolicy = { initial: Duration.millis(500), max: Duration.seconds(30) }

export const backoff = (failures: number, p: BackoffPolicy): Duration.Duration =>
  Duration.min(p.max, Duration.times(p.initial, 2 ** Math.min(Math.max(failures - 1, 0), 20)))

/** What the App watch reports that only a user (or deletion) changes: wakes a backing-off worker. */
const appFingerprint = (o: KubeObject) =>
  JSON.stringify([o.metadata.uid, o.metadata.generation, o.metadata.deletionTimestamp ?? null, o.metadata.finalizers ?? []])

/**
 * Starts the worker and the watches in the current scope and returns. Exposed
 * for tests (fake KubeClient, TestClock); the daemon goes through `app.run`.
 */
export const start = (deps: Reconciler.Deps, policy: BackoffPolicy = DefaultBackoff) =>
  Effect.gen(function*() {
    // true = significant (cuts a backoff short)
    const wake = yield* Queue.unbounded<boolean>()
    const waitSignificant: Effect.Effect<void> = Effect.flatMap(Queue.take(wake), (s) => (s ? Effect.void : waitSignificant))
    const worker = (failures: number): Effect.Effect<never> =>
      Effect.gen(function*() {
        yield* Queue.take(wake)
        yield* Queue.takeAll(wake)
        const result = yield* Effect.either(Reconciler.reconcile(deps))
        if (result._tag === "Right") return 0
        const n = failures + 1
        const delay = backoff(n, policy)
        yield* Effect.logDebug(`App: ${result.left.message} (retrying in ${Duration.format(delay)})`)
        yield* Effect.raceFirst(Effect.sleep(delay), waitSignificant)
        yield* Queue.offer(wake, true)
        return n
      }).pipe(Effect.flatMap(worker))
    yield* Effect.forkScoped(worker(0))

    // A watch that fails or ends is opened again; it starts with a fresh list, which is the resync.
    const follow = (type: ResourceType, options: Parameters<KubeClientShape["watch"]>[1], significant: (e: KubeObject) => boolean) =>
      deps.kube.watch(type, options).pipe(
        Stream.runForEach((event) =>
          event.type === "BOOKMARK" ? Effect.void : Queue.offer(wake, event.type === "DELETED" || significant(event.object))
        ),
        Effect.catchAll((e) => Effect.logDebug(`App controller: watch of ${type.resource} failed: ${e.message}; retrying`)),
        Effect.zipRight(Effect.sleep(WatchRetry)),
        Effect.forever,
        Effect.forkScoped
      )
    let lastApp = ""
    yield* follow(App.AppType, { fieldSelector: `metadata.name=${App.SingletonName}` }, (o) => {
      const fp = appFingerprint(o)
      const changed = fp !== lastApp
      lastApp = fp
      return changed
    })
    // the LimaVM CRD is absent when only `app` is selected: that watch keeps retrying quietly
    yield* follow(LimaVm.LimaVmType, { fieldSelector: `metadata.name=${App.VmName}` }, () => true)
    yield* follow(Core.configmaps, { fieldSelector: `metadata.name=${App.TemplateCopyName}` }, () => true)
    yield* Queue.offer(wake, true)
  })

export const app: Controller = {
  name: "app",
  crds: [crd],
  admission: Admission.plugins,
  run: Effect.gen(function*() {
    const kube = yield* KubeClient
    const daemon = yield* Daemon
    const host = Host.make(daemon)
    const parts = Effect.map(Discovery.enabledControllers(kube), (enabled) => ({
      engine: enabled === undefined || enabled.includes(EngineControllerName),
      kubernetes: enabled === undefined || enabled.includes(KubernetesControllerName)
    }))
    yield* start({ kube, host, parts })
    // the VM template is the App's own setting (annotation), not this daemon's environment
    yield* Effect.logInfo("app controller running")
  })
}
