/**
 * ProcessManager on node:child_process and POSIX signals. The daemon is spawned
 * detached (own process group), stdin closed, stdout/stderr appended to its log
 * files, with the same Node executable and flags as this CLI; it outlives us.
 */
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as fs from "node:fs"
import { Failure } from "../domain/Errors.js"
import { ProcessManager, type ProcessManagerShape, type SignalKind } from "../services/ProcessManager.js"
import { pollUntil } from "../services/Wait.js"
import * as NodeBuiltins from "./NodeBuiltins.js"
import { alive, argvOf } from "./ProcessTable.js"

const signals: Record<SignalKind, NodeJS.Signals> = {
  graceful: "SIGINT",
  forceful: "SIGTERM",
  kill: "SIGKILL",
  freeze: "SIGSTOP",
  thaw: "SIGCONT"
}

/** Node flags of this process (e.g. --enable-source-maps) so the daemon runs like the CLI. */
const entryPoint = (): ReadonlyArray<string> => [...process.execArgv, process.argv[1]!]

export const make: ProcessManagerShape = {
  spawnDaemon: (request) =>
    Effect.gen(function*() {
      const exited = yield* Deferred.make<number | null>()
      const pid = yield* Effect.async<number, Failure>((resume) => {
        let out: number | undefined
        let err: number | undefined
        try {
          out = fs.openSync(request.stdoutFile, "a", 0o600)
          err = fs.openSync(request.stderrFile, "a", 0o600)
        } catch (e) {
          if (out !== undefined) fs.closeSync(out)
          resume(Effect.fail(new Failure({ message: `cannot open daemon log file: ${(e as Error).message}`, cause: e })))
          return
        }
        const child = NodeBuiltins.childProcess().spawn(process.execPath, [...entryPoint(), ...request.args], {
          detached: true,
          stdio: ["ignore", out, err],
          env: { ...process.env, ...request.env }
        })
        fs.closeSync(out)
        fs.closeSync(err)
        child.once("error", (cause) =>
          resume(Effect.fail(new Failure({ message: `cannot start the control plane: ${cause.message}`, cause }))))
        child.once("spawn", () => {
          child.unref()
          resume(Effect.succeed(child.pid!))
        })
        child.once("exit", (code) => Deferred.unsafeDone(exited, Effect.succeed(code)))
      })
      return { pid, exited: Deferred.await(exited) }
    }),
  signal: (pid, kind) =>
    Effect.sync(() => {
      try {
        process.kill(pid, signals[kind])
        return true
      } catch {
        return false
      }
    }),
  isAlive: (pid) => Effect.sync(() => alive(pid)),
  identity: (pid) =>
    Effect.sync(() => {
      if (!alive(pid)) return Option.none()
      const argv = argvOf(pid)
      return argv === undefined ? Option.none() : Option.some({ pid, argv })
    }),
  awaitExit: (pid) => pollUntil(Effect.sync(() => !alive(pid)))
}

export const layer = Layer.succeed(ProcessManager, make)
