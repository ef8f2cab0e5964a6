/**
 * The daemon's side of the readiness socket (domain/ReadySignal.ts): listening
 * from when the control plane is ready; `close` (at the start of a shutdown, and
 * in any case when the scope ends) stops answering and removes the file.
 *
 * The socket only speeds `rdd ctl` up, so a socket that cannot be opened is a
 * warning, never a failed start: ctl then takes its full path.
 */
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import * as ReadySignal from "../domain/ReadySignal.js"

export interface ReadySocket {
  /** stop answering and remove the socket (idempotent) */
  readonly close: Effect.Effect<void>
}

const listen = (server: net.Server, file: string) =>
  Effect.async<void, Error>((resume) => {
    const onError = (e: Error) => resume(Effect.fail(e))
    server.once("error", onError)
    server.listen(file, () => {
      server.removeListener("error", onError)
      resume(Effect.void)
    })
  })

export const open = (file: string, answer: ReadySignal.Answer): Effect.Effect<ReadySocket, never, Scope.Scope> =>
  Effect.gen(function*() {
    if (!ReadySignal.usable(file)) {
      yield* Effect.logDebug(`no readiness socket: ${file} is longer than ${ReadySignal.MaxPathBytes} bytes`)
      return { close: Effect.void }
    }
    const text = ReadySignal.line(answer)
    // connections still open at close (a client that never read its line) are cut then, so
    // that none of them keeps a stopping daemon's event loop alive
    const connections = new Set<net.Socket>()
    const server = net.createServer((conn) => {
      connections.add(conn)
      conn.on("close", () => connections.delete(conn))
      conn.on("error", () => undefined) // a client that went away
      conn.end(text)
    })
    let open = false
    const close = Effect.sync(() => {
      if (!open) return
      open = false
      server.close()
      for (const conn of connections) conn.destroy()
      fs.rmSync(file, { force: true })
    })
    // The instance lock is ours: a file there is a socket left by a daemon that was killed.
    const opened = yield* Effect.try({
      try: () => {
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
        fs.rmSync(file, { force: true })
      },
      catch: (e) => (e instanceof Error ? e : new Error(String(e)))
    }).pipe(Effect.zipRight(listen(server, file)), Effect.either)
    if (opened._tag === "Left") {
      yield* Effect.logWarning(`no readiness socket (rdd ctl takes its longer path): ${opened.left.message}`)
      return { close: Effect.void }
    }
    open = true
    yield* Effect.addFinalizer(() => close)
    yield* Effect.logDebug(`readiness socket ${file}`)
    return { close }
  })
