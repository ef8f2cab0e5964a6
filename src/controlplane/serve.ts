/**
 * `rdd svc serve`: the daemon (SPEC 2.7). Startup order: (1) the instance lock,
 * (2) run record and pid file, (3) the store, (4) TLS, (5) listen (fallback to an
 * OS-chosen port if the desired one is taken: the server binds once, no
 * probe-close-rebind), (6) kubeconfig, (7) the `rdd-system` namespace,
 * (8) the discovery ConfigMap, (9) CRDs of the selected controllers, (10) the
 * controllers, (11) the ready annotation — last, so "ready" means everything runs.
 *
 * Every resource is acquired in one Scope, so shutdown is scope finalisation in
 * reverse order: controllers stop, the discovery entry is removed, the server
 * closes, the store is checkpointed and closed, the pid file, run record and
 * kubeconfig are removed, the lock is released. The first SIGINT/SIGTERM starts
 * that after the shutdown-notification drain (capped at 45s); a second signal
 * exits at once with code 1 (SQLite's WAL keeps the store consistent).
 */
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as ExecutionStrategy from "effect/ExecutionStrategy"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Scope from "effect/Scope"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as https from "node:https"
import type { AddressInfo } from "node:net"
import * as v8 from "node:v8"
import * as ControllerSpec from "../domain/ControllerSpec.js"
import { Failure } from "../domain/Errors.js"
import * as Instance from "../domain/Instance.js"
import type { KubeObject } from "../domain/KubeObject.js"
import { Core } from "../domain/KubeObject.js"
import * as RunRecord from "../domain/RunRecord.js"
import { writeFileAtomicSync } from "../layers/NodeInstanceDir.js"
import { InstanceDir } from "../services/InstanceDir.js"
import { KubeClient } from "../services/KubeClient.js"
import type { ServeOptions } from "../services/Serve.js"
import * as Admission from "./apiserver/Admission.js"
import * as Http from "./apiserver/Http.js"
import * as Registry from "./apiserver/Registry.js"
import { Api, make as makeApi } from "./apiserver/Resources.js"
import * as Config from "./controllers/Config.js"
import { admissionOf, type Controller, Daemon, type Started } from "./controllers/Controller.js"
import * as Controllers from "./controllers/index.js"
import * as Discovery from "./controllers/Discovery.js"
import * as Shutdown from "./controllers/Shutdown.js"
import * as InProcessKubeClient from "./InProcessKubeClient.js"
import * as Kubeconfig from "./Kubeconfig.js"
import * as Lock from "./Lock.js"
import { Store } from "./storage/Store.js"
import * as StoreModule from "./storage/Store.js"
import * as Tls from "./Tls.js"


const fail = (message: string, cause?: unknown) => new Failure({ message, ...(cause === undefined ? {} : { cause }) })

/** Keeps the CRD-defined resource types in the registry in step with stored CRDs. */
const trackCrds = (store: StoreModule.StoreShape, registry: Registry.Registry) => {
  const crds = { group: "apiextensions.k8s.io", resource: "customresourcedefinitions" }
  for (const crd of store.list(crds)) registry.registerCrd(crd.metadata.name ?? "", Registry.fromCrd(crd))
  return store.subscribe((e) => {
    if (e.collection !== StoreModule.collectionKey(crds)) return
    if (e.type === "DELETED") registry.unregisterCrd(e.name)
    else registry.registerCrd(e.name, Registry.fromCrd(e.object))
  })
}

const listen = (server: https.Server, port: number) =>
  Effect.async<number, NodeJS.ErrnoException>((resume) => {
    const onError = (e: NodeJS.ErrnoException) => resume(Effect.fail(e))
    server.once("error", onError)
    server.listen(port, "127.0.0.1", () => {
      server.removeListener("error", onError)
      resume(Effect.succeed((server.address() as AddressInfo).port))
    })
  })

/** Installs CRDs through the normal API path: create, or update the spec when it differs. */
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

export const serve = (o: ServeOptions, services: Controllers.ControllerServices) =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const paths = dir.paths
    const name = Instance.quoted(dir.instance)
    const selection = ControllerSpec.parse(o.controllers)
    if (Either.isLeft(selection)) return yield* Effect.fail(fail(selection.left))
    // Everything the daemon creates (store, TLS keys, kubeconfig) is private to the user.
    process.umask(0o077)
    // A long-lived server allocates per request: without this V8 lets garbage pile up
    // (RSS 80 -> 190 MB over 10,000 create/delete cycles, 22 MB live); with it ~100 MB.
    v8.setFlagsFromString("--optimize-for-size")

    // Signals first: from here on, the first SIGINT/SIGTERM asks for a graceful shutdown.
    const shutdown = yield* Deferred.make<string>()
    const signalled = installSignalHandlers((sig) => Deferred.unsafeDone(shutdown, Exit.succeed(sig)))
    yield* Effect.addFinalizer(() => Effect.sync(signalled.detach))

    // (1) the lock
    yield* dir.ensureDir(paths.dir, 0o700)
    yield* Lock.acquire(paths.lock_file).pipe(Effect.catchAll((e) =>
      e instanceof Lock.LockHeld
        ? Effect.zipRight(Effect.logError(`${name} control plane is already running`), Effect.fail(fail(`${name} control plane is already running`)))
        : Effect.fail(fail(e.message, e))
    ))
    yield* Effect.logInfo(`starting ${name} control plane (pid ${process.pid})`)

    // (2) run record and pid file; removed again on the way out
    const startId = randomUUID()
    const desiredPort = o.securePort ?? dir.instance.defaultPort
    const startedAt = new Date().toISOString()
    const record = (port?: number) =>
      RunRecord.encode({
        pid: process.pid,
        startId,
        controllers: o.controllers,
        desiredPort,
        ...(port === undefined ? {} : { port }),
        startedAt
      })
    yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          writeFileAtomicSync(paths.run_file, record(), 0o600)
          writeFileAtomicSync(paths.pid_file, String(process.pid), 0o600)
        },
        catch: (e) => fail(`cannot write the pid file: ${(e as Error).message}`, e)
      }),
      () => Effect.sync(() => {
        for (const f of [paths.config, paths.pid_file, paths.run_file]) fs.rmSync(f, { force: true })
      })
    )

    // (3) the store
    yield* Effect.logInfo(`opening store ${paths.db}`)
    const storeContext = yield* Layer.build(StoreModule.layer().pipe(Layer.provide(SqliteClient.layer({ filename: paths.db })))).pipe(
      Effect.mapError((e) => fail(`cannot open the store ${paths.db}: ${String(e)}`, e))
    )
    const store = Context.get(storeContext, Store)
    yield* Effect.addFinalizer(() => Effect.zipRight(store.checkpoint, Effect.logInfo("store checkpointed")))
    const registry = Registry.make()
    const untrack = trackCrds(store, registry)
    yield* Effect.addFinalizer(() => Effect.sync(untrack))
    const admission = Admission.make()
    const api = makeApi(store, registry, admission)
    const client = InProcessKubeClient.make(api)

    // (4) TLS
    const tls = yield* Tls.ensure(paths.tls_dir)

    // (5) listen
    const tokens: Kubeconfig.Tokens = { admin: randomUUID(), user: randomUUID() }
    let accepting = true
    let port = desiredPort
    const runtime = yield* Effect.runtime<never>()
    const handler = Http.makeHandler({
      api,
      tokens: new Map([[tokens.admin, "system-admin"], [tokens.user, "user"]]),
      runtime,
      address: () => `127.0.0.1:${port}`,
      ready: () => accepting
    })
    const server = https.createServer({ key: tls.keyPem, cert: tls.certPem, keepAliveTimeout: 60_000 }, handler)
    server.on("checkContinue", Http.makeCheckContinue(handler))
    server.headersTimeout = 60_000
    server.requestTimeout = 0
    port = yield* listen(server, desiredPort).pipe(
      Effect.catchAll((e) =>
        e.code === "EADDRINUSE"
          ? Effect.zipRight(
            Effect.logWarning(`port ${desiredPort} is in use; listening on a free port instead`),
            listen(server, 0)
          )
          : Effect.fail(e)
      ),
      Effect.mapError((e) => fail(`cannot listen on 127.0.0.1:${desiredPort}: ${e.message}`, e))
    )
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      }).pipe(Effect.zipRight(Effect.logInfo("API server stopped")))
    )
    yield* Effect.logInfo(`API server listening on https://127.0.0.1:${port}`)
    writeFileAtomicSync(paths.run_file, record(port), 0o600)

    // (6) kubeconfig, only now that the port is bound
    writeFileAtomicSync(paths.config, Kubeconfig.render(dir.instance.name, port, tls.caPem, tokens), 0o600)

    const selectable = Controllers.selectable(services)
    const selected: Array<Controller> = []
    for (const n of selection.right) {
      const c = selectable[n]
      if (c === undefined) yield* Effect.logWarning(`controller ${n} is not available in this build; skipped`)
      else selected.push(c)
    }
    const enabled = selected.map((c) => c.name)

    const daemon = { instance: dir.instance.name, startId, paths }
    const controllerContext = Context.make(KubeClient, client).pipe(Context.add(Daemon, daemon), Context.add(Api, api))
    const withControllerEnv = <A, E>(effect: Effect.Effect<A, E, KubeClient | Daemon | Api>) => Effect.provide(effect, controllerContext)

    // (7) namespace, (8) discovery and config ConfigMaps, stale notifications
    yield* withControllerEnv(Effect.gen(function*() {
      yield* Discovery.ensureNamespace
      yield* Discovery.recreate({ enabledControllers: enabled, startTime: startedAt.replace(/\.\d{3}Z$/, "Z"), startId })
      yield* Config.publish({ instance: dir.instance.name, controllers: o.controllers, enabledControllers: enabled, desiredPort, port, startId, pid: process.pid })
      yield* Shutdown.deleteStale
    })).pipe(Effect.mapError((e) => fail(`cannot initialise the control plane: ${e.message}`, e)))
    yield* Effect.addFinalizer(() =>
      withControllerEnv(Discovery.unregister).pipe(Effect.catchAll((e) => Effect.logWarning(`cannot remove the discovery entry: ${e.message}`)))
    )

    // (9) CRDs and admission of selected controllers, (10) builtin then selected controllers
    for (const c of selected) {
      for (const crd of c.crds ?? []) {
        yield* withControllerEnv(installCrd(crd)).pipe(Effect.mapError((e) => fail(`cannot install CRD for ${c.name}: ${e.message}`, e)))
      }
      for (const plugin of admissionOf(c, { kube: client, daemon })) {
        const unregister = admission.register(plugin)
        yield* Effect.addFinalizer(() => Effect.sync(unregister))
      }
    }
    const all: ReadonlyArray<{ readonly name: string; readonly run: Effect.Effect<void | Started, never, KubeClient | Daemon | Api | Scope.Scope> }> = [
      ...Controllers.Builtin,
      ...selected
    ]
    for (const c of all) {
      const scope = yield* Scope.fork(yield* Effect.scope, ExecutionStrategy.sequential)
      yield* Effect.addFinalizer(() => Effect.zipRight(Scope.close(scope, Exit.void), Effect.logInfo(`controller ${c.name} stopped`)))
      const started = yield* withControllerEnv(Scope.extend(c.run, scope))
      if (started?.onShutdown !== undefined) {
        yield* withControllerEnv(Scope.extend(Shutdown.register(c, started.onShutdown), scope)).pipe(
          Effect.mapError((e) => fail(`cannot register ${c.name} for shutdown notification: ${e.message}`, e))
        )
      }
      yield* Effect.logInfo(`controller ${c.name} started`)
    }

    // (11) ready
    yield* withControllerEnv(Discovery.markReady).pipe(Effect.mapError((e) => fail(`cannot mark the control plane ready: ${e.message}`, e)))
    yield* Effect.logInfo(`${name} control plane is ready`)
    // what `svc logs` readers look for first: where the API is and how to reach it
    yield* Effect.logInfo(`API server serving on https://127.0.0.1:${port} (kubeconfig ${paths.config})`)

    const signal = yield* Deferred.await(shutdown)
    yield* Effect.logInfo(`received ${signal}: shutting down ${name} control plane`)
    yield* withControllerEnv(Shutdown.drain).pipe(
      Effect.timeoutFail({ duration: Shutdown.DrainCap, onTimeout: () => fail("drain cap reached") }),
      Effect.catchAll((e) => Effect.logWarning(`shutdown drain incomplete: ${e.message}`))
    )
    accepting = false
  }).pipe(Effect.scoped, Effect.zipLeft(Effect.logInfo("control plane stopped")))

/**
 * Replaces the runtime's signal handling (which would interrupt the command) with
 * the daemon's: first signal → graceful shutdown, second → immediate exit 1.
 *
 * The daemon's listener is added before the runtime's is removed. Node closes a
 * signal's libuv handle when its last listener goes, and libuv drops a signal
 * still queued for a closed handle: a SIGINT that arrived while startup code ran
 * was silently lost, and the daemon came up and kept running (found by a stop
 * right after `svc start --wait=false`; test/reliability/startup-signal.test.ts
 * sweeps signals across the whole startup).
 */
const installSignalHandlers = (onFirst: (signal: string) => void) => {
  let received = 0
  const handler = (signal: NodeJS.Signals) => {
    received++
    if (received === 1) {
      onFirst(signal)
      return
    }
    process.stderr.write(`time="${new Date().toISOString().replace(/\.\d{3}Z$/, "Z")}" level=warning msg="received a second signal (${signal}): exiting now"\n`)
    // eslint-disable-next-line no-restricted-syntax -- SPEC 2.7: a second signal exits at once with code 1
    process.exit(1)
  }
  for (const s of ["SIGINT", "SIGTERM"] as const) {
    process.on(s, handler)
    for (const other of process.listeners(s)) if (other !== handler) process.removeListener(s, other)
  }
  return {
    detach: () => {
      // Keep handling a late second signal until the process is gone, but never keep it alive.
      const guard = setTimeout(() => {
        // eslint-disable-next-line no-restricted-syntax -- a handle we did not close must not keep a stopped daemon alive
        process.exit(0)
      }, 5_000)
      guard.unref()
    }
  }
}
