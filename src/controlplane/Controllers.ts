/**
 * The daemon's controllers, built over a listening engine: the `rdd-system`
 * namespace, the discovery and config ConfigMaps (stale shutdown notifications
 * go), then for each selected controller its CRDs (through the normal API path)
 * and admission plugins, then the builtin and selected controllers, each `run` in
 * a scope of its own. Released in reverse: controllers stop (last started first),
 * the admission plugins go, the discovery entry is withdrawn.
 */
import * as Effect from "effect/Effect"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { Failure } from "../domain/Errors.js"
import type { KubeObject } from "../domain/KubeObject.js"
import { Core } from "../domain/KubeObject.js"
import { KubeClient } from "../services/KubeClient.js"
import { Api } from "./apiserver/Resources.js"
import * as Config from "./controllers/Config.js"
import { admissionOf, type Controller, Daemon, type Started } from "./controllers/Controller.js"
import * as Discovery from "./controllers/Discovery.js"
import * as Selectable from "./controllers/index.js"
import * as Shutdown from "./controllers/Shutdown.js"
import { Run } from "./DaemonRun.js"
import { Listener } from "./Listener.js"

const fail = (message: string, cause: unknown) => new Failure({ message, cause })

/** Installs a CRD through the normal API path: create, or update the spec when it differs. */
const installCrd = (crd: KubeObject) =>
  Effect.gen(function*() {
    const client = yield* KubeClient
    const ref = { type: Core.crds, name: crd.metadata.name ?? "" }
    const existing = yield* client.get(ref)
    if (Option.isNone(existing)) {
      yield* client.create(Core.crds, crd)
    } else {
      yield* client.update(ref, { ...existing.value, spec: crd["spec"], metadata: { ...existing.value.metadata, labels: crd.metadata.labels ?? {} } })
    }
    yield* Effect.logInfo(`installed CRD ${ref.name}`)
  })

type Running = { readonly name: string; readonly run: Effect.Effect<void | Started, never, KubeClient | Daemon | Api | Scope.Scope> }

/** `names`: the parsed --controllers selection; `services`: what the daemon's wiring chose for them. */
export const layer = (
  names: ReadonlyArray<string>,
  services: Selectable.ControllerServices
): Layer.Layer<never, Failure, KubeClient | Daemon | Api | Run | Listener> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const run = yield* Run
    const { port } = yield* Listener
    const daemon = yield* Daemon
    const client = yield* KubeClient
    const api = yield* Api

    const selectable = Selectable.selectable(services)
    const selected: Array<Controller> = []
    for (const n of names) {
      const c = selectable[n]
      if (c === undefined) yield* Effect.logWarning(`controller ${n} is not available in this build; skipped`)
      else selected.push(c)
    }
    const enabled = selected.map((c) => c.name)

    yield* Effect.gen(function*() {
      yield* Discovery.ensureNamespace
      yield* Discovery.recreate({ enabledControllers: enabled, startTime: run.startedAt.replace(/\.\d{3}Z$/, "Z"), startId: run.startId })
      yield* Config.publish({
        instance: daemon.instance,
        controllers: run.controllers,
        enabledControllers: enabled,
        desiredPort: run.desiredPort,
        port,
        startId: run.startId,
        pid: process.pid
      })
      yield* Shutdown.deleteStale
    }).pipe(Effect.mapError((e) => fail(`cannot initialise the control plane: ${e.message}`, e)))
    yield* Effect.addFinalizer(() =>
      Discovery.unregister.pipe(Effect.catchAll((e) => Effect.logWarning(`cannot remove the discovery entry: ${e.message}`)))
    )

    for (const c of selected) {
      for (const crd of c.crds ?? []) {
        yield* installCrd(crd).pipe(Effect.mapError((e) => fail(`cannot install CRD for ${c.name}: ${e.message}`, e)))
      }
      for (const plugin of admissionOf(c, { kube: client, daemon })) {
        const unregister = api.admission.register(plugin)
        yield* Effect.addFinalizer(() => Effect.sync(unregister))
      }
    }
    const all: ReadonlyArray<Running> = [...Selectable.Builtin, ...selected]
    for (const c of all) {
      const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
      yield* Effect.addFinalizer(() => Effect.zipRight(Scope.close(scope, Exit.void), Effect.logInfo(`controller ${c.name} stopped`)))
      const started = yield* Scope.extend(c.run, scope)
      if (started?.onShutdown !== undefined) {
        yield* Scope.extend(Shutdown.register(c, started.onShutdown), scope).pipe(
          Effect.mapError((e) => fail(`cannot register ${c.name} for shutdown notification: ${e.message}`, e))
        )
      }
      yield* Effect.logInfo(`controller ${c.name} started`)
    }
  }))
