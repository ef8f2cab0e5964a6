/**
 * The daemon's HTTPS listener over the engine: TLS material, the server bound
 * once on 127.0.0.1 (the desired port, else an OS-chosen one: no
 * probe-close-rebind), the port added to the run record, and only then the
 * kubeconfig with fresh tokens. `/readyz` answers ok until `stopAccepting` (the
 * end of the shutdown drain); released by closing the server and every
 * connection, those still in their TLS handshake included.
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as MutableRef from "effect/MutableRef"
import { randomUUID } from "node:crypto"
import * as fs from "node:fs"
import * as https from "node:https"
import type { AddressInfo, Socket } from "node:net"
import { Failure } from "../domain/Errors.js"
import * as ReadySignal from "../domain/ReadySignal.js"
import { writeFileAtomicSync } from "../layers/NodeInstanceDir.js"
import { InstanceDir } from "../services/InstanceDir.js"
import * as Http from "./apiserver/Http.js"
import { Api } from "./apiserver/Resources.js"
import { Run } from "./DaemonRun.js"
import * as Kubeconfig from "./Kubeconfig.js"
import * as Tls from "./Tls.js"

export interface ListenerShape {
  /** the port the API server is bound to */
  readonly port: number
  /** from now on `/readyz` answers 500 (the shutdown drain is over) */
  readonly stopAccepting: Effect.Effect<void>
  /** the stamp of the kubeconfig this run wrote (ReadySignal.fileStamp): the readiness socket tells it */
  readonly kubeconfigStamp: string
}

export class Listener extends Context.Tag("rdd/controlplane/Listener")<Listener, ListenerShape>() {}

const listen = (server: https.Server, port: number) =>
  Effect.async<number, NodeJS.ErrnoException>((resume) => {
    const onError = (e: NodeJS.ErrnoException) => resume(Effect.fail(e))
    server.once("error", onError)
    server.listen(port, "127.0.0.1", () => {
      server.removeListener("error", onError)
      resume(Effect.succeed((server.address() as AddressInfo).port))
    })
  })

export const layer: Layer.Layer<Listener, Failure, Api | InstanceDir | Run> = Layer.scoped(
  Listener,
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const api = yield* Api
    const run = yield* Run
    const paths = dir.paths
    const tls = yield* Tls.ensure(paths.tls_dir)

    const tokens: Kubeconfig.Tokens = { admin: randomUUID(), user: randomUUID() }
    const accepting = MutableRef.make(true)
    const server = https.createServer({ key: tls.keyPem, cert: tls.certPem, keepAliveTimeout: 60_000 })
    const handler = Http.makeHandler({
      api,
      tokens: new Map([[tokens.admin, "system-admin"], [tokens.user, "user"]]),
      runtime: yield* Effect.runtime<never>(),
      // a request still in flight while the server closes has no address to read
      address: () => `127.0.0.1:${(server.address() as AddressInfo | null)?.port ?? run.desiredPort}`,
      ready: () => MutableRef.get(accepting)
    })
    server.on("request", handler)
    server.on("checkContinue", Http.makeCheckContinue(handler))
    // Every TCP connection from its accept on: `closeAllConnections` knows only those whose
    // TLS handshake is done, and `server.close` waits for the others (the handshake timeout
    // is 120 s). A client connecting while the daemon stopped held the stop for a minute, and
    // a `svc stop` timed out (seen in a fresh-clone CI run's storm test).
    const sockets = new Set<Socket>()
    server.on("connection", (socket: Socket) => {
      sockets.add(socket)
      socket.once("close", () => sockets.delete(socket))
    })
    server.headersTimeout = 60_000
    server.requestTimeout = 0
    const port = yield* listen(server, run.desiredPort).pipe(
      Effect.catchAll((e) =>
        e.code === "EADDRINUSE"
          ? Effect.zipRight(
            Effect.logWarning(`port ${run.desiredPort} is in use; listening on a free port instead`),
            listen(server, 0)
          )
          : Effect.fail(e)
      ),
      Effect.mapError((e) => new Failure({ message: `cannot listen on 127.0.0.1:${run.desiredPort}: ${e.message}`, cause: e }))
    )
    yield* Effect.addFinalizer(() =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
        for (const socket of sockets) socket.destroy()
      }).pipe(Effect.zipRight(Effect.logInfo("API server stopped")))
    )
    yield* Effect.logInfo(`API server listening on https://127.0.0.1:${port}`)
    yield* run.recordPort(port)
    // the kubeconfig only now that the port is bound
    writeFileAtomicSync(paths.config, Kubeconfig.render(dir.instance.suffix, port, tls.caPem, tokens), 0o600)
    const kubeconfigStamp = ReadySignal.fileStamp(fs.statSync(paths.config, { bigint: true }))
    return { port, stopAccepting: Effect.sync(() => MutableRef.set(accepting, false)), kubeconfigStamp }
  })
)
