/** ProcessManager over the World's process table and scripted daemons. */
import { Deferred, Effect, Layer, Option } from "effect"
import { ProcessManager } from "../../src/services/ProcessManager.js"
import { pollUntil } from "../../src/services/Wait.js"
import type { World } from "./World.js"

export const layer = (w: World) =>
  Layer.succeed(ProcessManager, {
    spawnDaemon: (request) =>
      Effect.gen(function*() {
        const p = yield* w.spawn(request.args)
        const exited = yield* Deferred.make<number | null>()
        p.onExit.push((code) => Deferred.unsafeDone(exited, Effect.succeed(code)))
        return { pid: p.pid, exited: Deferred.await(exited) }
      }),
    signal: (pid, kind) => w.signal(pid, kind),
    isAlive: (pid) => Effect.sync(() => pid === process.pid || w.procs.get(pid)?.alive === true),
    identity: (pid) =>
      Effect.sync(() => {
        const p = w.procs.get(pid)
        return p !== undefined && p.alive ? Option.some({ pid, argv: p.argv }) : Option.none()
      }),
    awaitExit: (pid) => pollUntil(Effect.sync(() => w.procs.get(pid)?.alive !== true))
  })
