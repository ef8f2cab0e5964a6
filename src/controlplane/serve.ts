/**
 * `rdd svc serve`: the daemon (SPEC 2.7), a composition of layers built in this
 * order, each step logged:
 *
 * 1. `DaemonRun`: the instance lock, then the run record and the pid file;
 * 2. `Engine`: the store, the request path, the in-process KubeClient;
 * 3. `Listener`: TLS, listen (the desired port, else an OS-chosen one), the port
 *    in the run record, then the kubeconfig;
 * 4. `Controllers`: the `rdd-system` namespace, the discovery ConfigMap, CRDs
 *    and admission of the selected controllers, the controllers;
 *
 * then the discovery ConfigMap's ready annotation — last, so "ready" means
 * everything runs — and the readiness socket (domain/ReadySignal.ts). Signals are
 * taken over before any of it.
 *
 * Shutdown is the layers' release in reverse order: controllers stop, the
 * discovery entry is removed, the server closes, the store is checkpointed and
 * closed, the pid file, run record and kubeconfig are removed, the lock is
 * released. The first SIGINT/SIGTERM closes the readiness socket at once and
 * starts that after the shutdown-notification drain (capped at 45s); a second
 * signal exits at once with code 1 (SQLite's WAL keeps the store consistent).
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as v8 from "node:v8"
import * as ControllerSpec from "../domain/ControllerSpec.js"
import { Failure } from "../domain/Errors.js"
import * as Instance from "../domain/Instance.js"
import { InstanceDir } from "../services/InstanceDir.js"
import type { ServeOptions } from "../services/Serve.js"
import type { ControllerServices } from "./controllers/index.js"
import * as Discovery from "./controllers/Discovery.js"
import * as Shutdown from "./controllers/Shutdown.js"
import * as Controllers from "./Controllers.js"
import * as DaemonRun from "./DaemonRun.js"
import * as Engine from "./Engine.js"
import * as Listener from "./Listener.js"
import * as ReadySocket from "./ReadySocket.js"

const fail = (message: string, cause?: unknown) => new Failure({ message, ...(cause === undefined ? {} : { cause }) })

/** The whole daemon as one layer: each step is built on the ones before it. */
export const layer = (o: ServeOptions, controllers: ReadonlyArray<string>, services: ControllerServices, db: string) =>
  Controllers.layer(controllers, services).pipe(
    Layer.provideMerge(Listener.layer),
    Layer.provideMerge(Engine.layer({ filename: db })),
    Layer.provideMerge(DaemonRun.layer(o))
  )

export const serve = (o: ServeOptions, services: ControllerServices) =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const name = Instance.quoted(dir.instance)
    const selection = ControllerSpec.parse(o.controllers)
    if (Either.isLeft(selection)) return yield* Effect.fail(fail(selection.left))
    // Everything the daemon creates (store, TLS keys, kubeconfig) is private to the user.
    process.umask(0o077)
    // A long-lived server allocates per request, and V8's default heap growth (the old space
    // may grow to up to 4x what survived the last full GC) let RSS climb 214 -> 254 MB over the
    // bench's 10,000 create/delete cycles. The old space may grow by 10% instead: RSS grew 4.5-9.8
    // MB in three bench runs (20%: 8.2-10.8 MB, one over the 10 MB goal; creates/s the same
    // within noise). --optimize-for-size, used before, also bounded it but cost 1.25x CPU per
    // create (it changes the compilers too); measured side by side in docs/benchmarks.md.
    v8.setFlagsFromString("--heap-growing-percent=10")

    // Signals first: from here on, the first SIGINT/SIGTERM asks for a graceful shutdown.
    const shutdown = yield* Deferred.make<string>()
    const signalled = installSignalHandlers((sig) => Deferred.unsafeDone(shutdown, Exit.succeed(sig)))
    yield* Effect.addFinalizer(() => Effect.sync(signalled.detach))

    yield* Effect.gen(function*() {
      yield* Discovery.markReady.pipe(Effect.mapError((e) => fail(`cannot mark the control plane ready: ${e.message}`, e)))
      const listener = yield* Listener.Listener
      const readySocket = yield* ReadySocket.open(dir.paths.ready_socket, {
        startId: (yield* DaemonRun.Run).startId,
        kubeconfig: listener.kubeconfigStamp
      })
      yield* Effect.logInfo(`${name} control plane is ready`)
      // what `svc logs` readers look for first: where the API is and how to reach it
      yield* Effect.logInfo(`API server serving on https://127.0.0.1:${listener.port} (kubeconfig ${dir.paths.config})`)

      const signal = yield* Deferred.await(shutdown)
      yield* Effect.logInfo(`received ${signal}: shutting down ${name} control plane`)
      // from here on `rdd ctl` takes its full path, whose look still finds the API serving during the drain
      yield* readySocket.close
      yield* Shutdown.drain.pipe(
        Effect.timeoutFail({ duration: Shutdown.DrainCap, onTimeout: () => fail("drain cap reached") }),
        Effect.catchAll((e) => Effect.logWarning(`shutdown drain incomplete: ${e.message}`))
      )
      yield* listener.stopAccepting
    }).pipe(Effect.provide(layer(o, selection.right, services, dir.paths.db)))
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
