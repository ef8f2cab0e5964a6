/**
 * `rdd ctl get ns` against plain `kubectl get ns` with the same kubeconfig, on a
 * control plane that is already ready: what rdd adds to every kubectl call (its
 * start-up, the one readiness check, the child). Rounds alternate the two commands,
 * and the ratio is the median of the per-round ratios, so the machine's drift hits
 * both alike.
 */
import { readFileSync } from "node:fs"
import { Effect, Either } from "effect"
import * as Instance from "../../src/domain/Instance.js"
import { type Figure, measured, unavailable } from "../Figure.js"
import { isAlive, rddBin, rddEnv, stopPid, tempHome, timeRun, track, uniqueSuffix } from "../Proc.js"
import { pairedRatio, summarize } from "../stats.js"

export const Specs = {
  ctl: { id: "cli.ctl-get-ns", title: "rdd ctl get ns (ready control plane)", unit: "ms", goal: { on: "ratio", op: "<=", limit: 2.5 } }
} as const

export const ctl = (options: { readonly rounds: number; readonly warmup: number }): Effect.Effect<ReadonlyArray<Figure>> =>
  Effect.scoped(Effect.gen(function*() {
    const home = yield* tempHome("rdd-bench-ctl-")
    const suffix = uniqueSuffix("ctl")
    const env = rddEnv(home)
    const paths = Instance.paths(Either.getOrThrow(Instance.make(suffix)), { home, platform: "linux" })
    const rdd = (...args: ReadonlyArray<string>) => [process.execPath, rddBin, "--instance", suffix, ...args]
    const started = timeRun(rdd("svc", "start"), { env, timeoutMs: 120_000 })
    const pid = (() => {
      try {
        return Instance.parsePid(readFileSync(paths.pid_file, "utf8"))
      } catch {
        return undefined
      }
    })()
    if (pid !== undefined) {
      track(pid)
      yield* Effect.addFinalizer(() => (isAlive(pid) ? stopPid(pid, 30_000) : Effect.void))
    }
    if (started.code !== 0) return [unavailable(Specs.ctl, `svc start: exit ${started.code}`, "error")]
    const commands = {
      kubectl: ["kubectl", "--kubeconfig", paths.config, "get", "ns"],
      rdd: rdd("ctl", "get", "ns")
    }
    const samples = { kubectl: [] as Array<number>, rdd: [] as Array<number> }
    for (let round = -options.warmup; round < options.rounds; round++) {
      const order = round % 2 === 0 ? (["kubectl", "rdd"] as const) : (["rdd", "kubectl"] as const)
      for (const key of order) {
        const r = timeRun(commands[key], { env, timeoutMs: 30_000 })
        if (r.code !== 0) return [unavailable(Specs.ctl, `${key} get ns: exit ${r.code}: ${r.stderr.trim().split("\n").pop() ?? ""}`, "error")]
        if (key === "rdd" && r.stderr !== "") return [unavailable(Specs.ctl, `rdd ctl wrote to stderr on a ready control plane: ${r.stderr.trim()}`, "error")]
        if (round >= 0) samples[key].push(r.ms)
      }
      yield* Effect.yieldNow()
    }
    return [measured({
      ...Specs.ctl,
      value: summarize(samples.rdd).p50,
      baseline: { name: "kubectl get ns", value: summarize(samples.kubectl).p50 },
      ratio: pairedRatio(samples.rdd, samples.kubectl),
      samples: summarize(samples.rdd),
      note: `median of ${options.rounds} alternating rounds`
    })]
  }))
