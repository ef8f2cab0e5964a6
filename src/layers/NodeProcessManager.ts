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

const signals: Record<SignalKind, NodeJS.Signals> = {
  graceful: "SIGINT",
  forceful: "SIGTERM",
  kill: "SIGKILL",
  freeze: "SIGSTOP",
  thaw: "SIGCONT"
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return !isZombie(pid)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** A zombie child of ours answers signal 0 but is gone for every purpose. */
const isZombie = (pid: number): boolean => {
  if (process.platform !== "linux") return false
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")
  } catch {
    return false
  }
}

const argvOf = (pid: number): ReadonlyArray<string> | undefined => {
  if (process.platform === "linux") {
    try {
      const raw = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")
      return raw.split("\0").filter((s, i, all) => !(s === "" && i === all.length - 1))
    } catch {
      return undefined
    }
  }
  try {
    // macOS: no /proc; `ps` prints the command line with spaces (good enough for the identity check).
    const out = NodeBuiltins.childProcess().execFileSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
    return out.trim() === "" ? undefined : out.trim().split(/\s+/)
  } catch {
    return undefined
  }
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
