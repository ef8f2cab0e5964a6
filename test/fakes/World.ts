/**
 * A scripted, in-memory world for lifecycle tests: a file system (a Map of
 * files), a process table, and fake daemons whose life follows a script on the
 * Effect Clock — so with TestClock nothing really waits. A spawned daemon takes
 * the instance (pid file + run record) after `lockAfter`, serves /readyz after
 * `apiAfter`, registers its start id in the discovery ConfigMap after
 * `registerAfter` and marks it ready after `readyAfter` (all from spawn). It may
 * crash during startup (`crashAfter`). On the graceful signal it drains for
 * `stopAfter` (or forever with `hangOnStop`) and then removes its own files; the
 * forceful signal ends it at once (leaving its files), unless it is frozen.
 * Every signal is recorded with the Clock time it was sent.
 */
import { Clock, Duration, Effect, type Fiber, Option, SubscriptionRef } from "effect"
import type { KubeObject } from "../../src/domain/KubeObject.js"
import * as Instance from "../../src/domain/Instance.js"
import type { SignalKind } from "../../src/services/ProcessManager.js"

export interface DaemonScript {
  readonly lockAfter: Duration.Duration
  readonly apiAfter: Duration.Duration
  readonly registerAfter: Duration.Duration
  readonly readyAfter: Duration.Duration
  readonly crashAfter?: Duration.Duration
  readonly stopAfter: Duration.Duration
  readonly hangOnStop?: boolean
  /** SIGSTOP-like: not even the forceful signal ends it */
  readonly frozen?: boolean
  readonly controllers?: string
}

export const quickDaemon: DaemonScript = {
  lockAfter: Duration.millis(100),
  apiAfter: Duration.millis(300),
  registerAfter: Duration.millis(400),
  readyAfter: Duration.millis(500),
  stopAfter: Duration.millis(200)
}

export interface Proc {
  readonly pid: number
  readonly argv: ReadonlyArray<string>
  alive: boolean
  frozen: boolean
  exitCode: number | null
  fiber?: Fiber.RuntimeFiber<void>
  onExit: Array<(code: number | null) => void>
}

export interface SignalRecord {
  readonly pid: number
  readonly kind: SignalKind
  readonly atMillis: number
}

export const makeWorld = (suffix = "t1", home = "/home/u") =>
  Effect.gen(function*() {
    const instance = Instance.make(suffix).pipe((e) => {
      if (e._tag === "Left") throw new Error(e.left)
      return e.right
    })
    const paths = Instance.paths(instance, { home, platform: "linux" })
    const files = new Map<string, string>()
    const dirs = new Set<string>()
    const procs = new Map<number, Proc>()
    const signals: Array<SignalRecord> = []
    const spawns: Array<{ readonly pid: number; readonly args: ReadonlyArray<string>; readonly atMillis: number }> = []
    const discovery = yield* SubscriptionRef.make<Option.Option<KubeObject>>(Option.none())
    let nextPid = 1000
    let api: number | undefined // pid of the daemon serving the API
    let script: DaemonScript = quickDaemon
    const scripts: Array<DaemonScript> = []

    const now = Clock.currentTimeMillis
    const appendLog = (line: string) => {
      files.set(paths.stderr_log, `${files.get(paths.stderr_log) ?? ""}${line}\n`)
    }
    const end = (p: Proc, code: number | null, clean: boolean) => {
      if (!p.alive) return
      p.alive = false
      p.exitCode = code
      if (api === p.pid) api = undefined
      if (clean && Instance.parsePid(files.get(paths.pid_file) ?? "") === p.pid) {
        files.delete(paths.pid_file)
        files.delete(paths.run_file)
        files.delete(paths.config)
      }
      for (const f of p.onExit) f(code)
    }
    const lockHolder = (): Proc | undefined => {
      const pid = Instance.parsePid(files.get(paths.pid_file) ?? "")
      const p = pid === undefined ? undefined : procs.get(pid)
      return p !== undefined && p.alive && p.argv.includes("serve") ? p : undefined
    }

    const runDaemon = (p: Proc, s: DaemonScript) =>
      Effect.gen(function*() {
        const t0 = yield* now
        const at = (d: Duration.Duration) =>
          Effect.flatMap(now, (t) => Effect.sleep(Duration.millis(Math.max(0, t0 + Duration.toMillis(d) - t))))
        const crash = s.crashAfter === undefined ? Effect.never : Effect.zipRight(at(s.crashAfter), Effect.sync(() => {
          appendLog("level=fatal msg=\"boom: the store is corrupt\"")
          end(p, 1, false)
        }))
        const life = Effect.gen(function*() {
          yield* at(s.lockAfter)
          if (!p.alive) return
          if (lockHolder() !== undefined) {
            appendLog(`level=error msg="control plane is already running"`)
            end(p, 1, false)
            return
          }
          const startId = `start-${p.pid}`
          files.set(paths.run_file, JSON.stringify({ pid: p.pid, startId, controllers: s.controllers ?? "*", desiredPort: instance.defaultPort, startedAt: new Date(0).toISOString() }))
          files.set(paths.pid_file, String(p.pid))
          appendLog(`level=info msg="took the instance lock"`)
          yield* at(s.apiAfter)
          if (!p.alive) return
          files.set(paths.config, `kubeconfig of ${p.pid}`)
          api = p.pid
          yield* SubscriptionRef.set(discovery, Option.some({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rdd-controller-manager", namespace: "rdd-system" }, data: {} }))
          yield* at(s.registerAfter)
          if (!p.alive) return
          const embedded = JSON.stringify({ enabledControllers: [], startId })
          yield* SubscriptionRef.set(discovery, Option.some({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rdd-controller-manager", namespace: "rdd-system" }, data: { embedded } }))
          yield* at(s.readyAfter)
          if (!p.alive) return
          yield* SubscriptionRef.set(discovery, Option.some({ apiVersion: "v1", kind: "ConfigMap", metadata: { name: "rdd-controller-manager", namespace: "rdd-system", annotations: { "rdd.rancherdesktop.io/ready": "true" } }, data: { embedded } }))
          yield* Effect.never
        })
        yield* Effect.raceFirst(life, crash)
      })

    const world = {
      instance,
      paths,
      files,
      dirs,
      procs,
      signals,
      spawns,
      discovery,
      /** the script of the next spawned daemons (in order; the last one repeats) */
      setScript: (s: DaemonScript, ...more: ReadonlyArray<DaemonScript>) => {
        script = s
        scripts.splice(0, scripts.length, ...more)
      },
      apiUp: () => api !== undefined && procs.get(api)?.alive === true && procs.get(api)?.frozen !== true,
      /** a process that is not an rdd daemon (for pid reuse) */
      addProcess: (argv: ReadonlyArray<string>) => {
        const pid = nextPid++
        procs.set(pid, { pid, argv, alive: true, frozen: false, exitCode: null, onExit: [] })
        return pid
      },
      spawn: (args: ReadonlyArray<string>) =>
        Effect.gen(function*() {
          const pid = nextPid++
          const p: Proc = { pid, argv: ["node", "/x/bin/rdd.mjs", ...args], alive: true, frozen: false, exitCode: null, onExit: [] }
          procs.set(pid, p)
          spawns.push({ pid, args, atMillis: yield* now })
          const s = script
          if (scripts.length > 0) script = scripts.shift()!
          p.fiber = yield* Effect.forkDaemon(runDaemon(p, s))
          stopScripts.set(pid, s)
          return p
        }),
      signal: (pid: number, kind: SignalKind) =>
        Effect.gen(function*() {
          const p = procs.get(pid)
          signals.push({ pid, kind, atMillis: yield* now })
          if (p === undefined || !p.alive) return false
          const s = stopScripts.get(pid)
          switch (kind) {
            case "freeze": p.frozen = true; break
            case "thaw": p.frozen = false; break
            case "kill": end(p, null, false); break
            case "forceful":
              if (!p.frozen && s?.frozen !== true) end(p, 1, false)
              break
            case "graceful":
              if (s === undefined) { end(p, null, false); break } // a plain program dies of SIGINT
              if (p.frozen || s.frozen === true || s.hangOnStop === true) break
              yield* Effect.forkDaemon(Effect.zipRight(Effect.sleep(s.stopAfter), Effect.sync(() => end(p, 0, true))))
              break
          }
          return true
        })
    }
    const stopScripts = new Map<number, DaemonScript>()
    return world
  })

export type World = Effect.Effect.Success<ReturnType<typeof makeWorld>>
