/**
 * Figure 2, the lifecycle commands with no VMs (SPEC 6): `rdd svc start` until
 * it reports ready, and `rdd svc stop` until it reports stopped, as a user
 * runs them (the built CLI, a temp HOME, a unique instance). The first start
 * also generates the TLS material and the store, so it is reported apart
 * ("cold") and the goal is judged on the median of the warm cycles. Each
 * daemon's pid is read from its pid file and stopped by pid if a stop fails.
 */
import { readFileSync } from "node:fs"
import { Effect, Either } from "effect"
import * as Instance from "../../src/domain/Instance.js"
import { serveAvailable } from "../api/Daemon.js"
import { type Figure, measured, unavailable } from "../Figure.js"
import { awaitGone, isAlive, rddBin, rddEnv, stopPid, tempHome, timeRun, track, uniqueSuffix } from "../Proc.js"
import { pairedRatio, summarize } from "../stats.js"

export interface LifecycleOptions {
  readonly rounds: number
}

export const Specs = {
  cold: { id: "lifecycle.first-start", title: "first svc start (cold) → ready", unit: "ms" },
  start: { id: "lifecycle.start", title: "rdd svc start → ready", unit: "ms", goal: { on: "value", op: "<=", limit: 1500 } },
  stop: { id: "lifecycle.stop", title: "rdd svc stop", unit: "ms", goal: { on: "value", op: "<=", limit: 500 } }
} as const

/**
 * The commands of `wanted` that `rdd svc --help` does not list. Reads both help layouts:
 * @effect/cli's (`  - start  ...`) and rdd's own (`  start  ...` under `Commands:`), which
 * replaced it; matching only the first made every figure that needs a daemon n/a.
 */
export const missingCommands = (help: string, wanted: ReadonlyArray<string>): ReadonlyArray<string> =>
  wanted.filter((cmd) => !new RegExp(`^\\s+(?:-\\s+)?${cmd}\\b`, "m").test(help))

/** Whether this build has `svc start` and `svc stop` (another part of the project writes them). */
export const lifecycleAvailable = (): Either.Either<void, string> => {
  const r = timeRun([process.execPath, rddBin, "svc", "--help"], { env: rddEnv("/nonexistent"), timeoutMs: 30_000 })
  const missing = missingCommands(r.stdout, ["start", "stop"])
  if (missing.length > 0) return Either.left(`\`rdd svc ${missing.join("`, `rdd svc ")}\` not available in this build`)
  // start spawns the daemon: without it there is nothing to measure
  return serveAvailable()
}

const lastLine = (s: string): string => s.trim().split("\n").slice(-1)[0] ?? ""

export const lifecycle = (options: LifecycleOptions): Effect.Effect<ReadonlyArray<Figure>, Error> =>
  Effect.scoped(Effect.gen(function*() {
    const available = lifecycleAvailable()
    if (Either.isLeft(available)) return Object.values(Specs).map((s) => unavailable(s, available.left))
    const home = yield* tempHome("rdd-bench-lifecycle-")
    const suffix = uniqueSuffix("lc")
    const env = rddEnv(home)
    const paths = Instance.paths(Either.getOrThrow(Instance.make(suffix)), { home, platform: "linux" })
    const rdd = (...args: ReadonlyArray<string>) => [process.execPath, rddBin, "--instance", suffix, ...args]
    const daemonPid = (): number | undefined => {
      try {
        return Instance.parsePid(readFileSync(paths.pid_file, "utf8"))
      } catch {
        return undefined
      }
    }
    // Whatever happens below, no daemon of this instance outlives the bench.
    const seen = new Set<number>()
    yield* Effect.addFinalizer(() => Effect.forEach([...seen], (pid) => (isAlive(pid) ? stopPid(pid, 50_000) : Effect.void), { discard: true }))

    const start = () =>
      Effect.gen(function*() {
        const r = timeRun(rdd("svc", "start"), { env, timeoutMs: 120_000 })
        const pid = daemonPid()
        if (pid !== undefined) {
          seen.add(pid)
          track(pid)
        }
        if (r.code !== 0) return yield* Effect.fail(new Error(`svc start: exit ${r.code}: ${lastLine(r.stderr)}`))
        if (pid === undefined || !isAlive(pid)) return yield* Effect.fail(new Error("svc start: exit 0 but no live daemon pid"))
        return { ms: r.ms, pid }
      })
    const stop = (pid: number) =>
      Effect.gen(function*() {
        const r = timeRun(rdd("svc", "stop"), { env, timeoutMs: 120_000 })
        if (r.code !== 0) return yield* Effect.fail(new Error(`svc stop: exit ${r.code}: ${lastLine(r.stderr)}`))
        if (!(yield* awaitGone(pid, 5_000))) return yield* Effect.fail(new Error(`svc stop: exit 0 but pid ${pid} is still alive`))
        return r.ms
      })

    const cold = yield* start()
    const coldStop = yield* stop(cold.pid)
    const starts: Array<number> = []
    const stops: Array<number> = []
    const nodes: Array<number> = []
    for (let i = 0; i < options.rounds; i++) {
      // `node -e 0` once per cycle: no goal rests on it, but the ratio shows how loaded the machine was
      nodes.push(timeRun([process.execPath, "-e", "0"], { env, timeoutMs: 30_000 }).ms)
      const s = yield* start()
      starts.push(s.ms)
      stops.push(yield* stop(s.pid))
    }
    const note = `median of ${options.rounds} start/stop cycles after a cold one; the ratio to node -e 0 is context`
    const baseline = { name: "node -e 0", value: summarize(nodes).p50 }
    return [
      measured({ ...Specs.cold, value: cold.ms, note: `creates the instance, TLS and store; its stop took ${Math.round(coldStop)} ms` }),
      measured({ ...Specs.start, value: summarize(starts).p50, baseline, ratio: pairedRatio(starts, nodes), samples: summarize(starts), note }),
      measured({ ...Specs.stop, value: summarize(stops).p50, baseline, ratio: pairedRatio(stops, nodes), samples: summarize(stops), note })
    ]
  }))
