/**
 * Figure 1, CLI start-up (SPEC 6): the median wall time of `rdd --version` and
 * `rdd svc status` (temp HOME, nothing created) against `node -e 0`, measured
 * side by side. Each round runs the three commands once, in an order that
 * rotates from round to round, so drift of the shared machine hits all three
 * alike; the ratio is the median of the per-round ratios.
 */
import { Effect } from "effect"
import { type Figure, measured, unavailable } from "../Figure.js"
import { rddBin, rddEnv, tempHome, timeRun } from "../Proc.js"
import { pairedRatio, summarize } from "../stats.js"

export interface StartupOptions {
  readonly rounds: number
  readonly warmup: number
}

export const Specs = {
  version: { id: "cli.version", title: "rdd --version", unit: "ms", goal: { on: "ratio", op: "<=", limit: 1.15 } },
  status: { id: "cli.svc-status", title: "rdd svc status", unit: "ms", goal: { on: "ratio", op: "<=", limit: 2 } }
} as const

export const startup = (options: StartupOptions): Effect.Effect<ReadonlyArray<Figure>> =>
  Effect.scoped(Effect.gen(function*() {
    const home = yield* tempHome("rdd-bench-startup-")
    const env = rddEnv(home)
    const node = process.execPath
    const commands = [
      { key: "baseline", argv: [node, "-e", "0"] },
      { key: "version", argv: [node, rddBin, "--version"] },
      { key: "status", argv: [node, rddBin, "svc", "status"] }
    ] as const
    const samples: Record<string, Array<number>> = { baseline: [], version: [], status: [] }
    const failures: Record<string, string> = {}
    for (let round = -options.warmup; round < options.rounds; round++) {
      const offset = ((round % commands.length) + commands.length) % commands.length
      for (let i = 0; i < commands.length; i++) {
        const c = commands[(i + offset) % commands.length]!
        const r = timeRun(c.argv, { env, timeoutMs: 30_000 })
        if (r.code !== 0) {
          failures[c.key] ??= `exit ${r.code}: ${(r.stderr || r.stdout).trim().split("\n").slice(-1)[0] ?? ""}`
          continue
        }
        if (round >= 0) samples[c.key]!.push(r.ms)
      }
      yield* Effect.yieldNow()
    }
    const baseline = summarize(samples["baseline"]!)
    const figure = (key: "version" | "status"): Figure => {
      const spec = Specs[key]
      const xs = samples[key]!
      if (failures[key] !== undefined || failures["baseline"] !== undefined) {
        return unavailable(spec, failures[key] ?? `node -e 0 failed: ${failures["baseline"]}`, "error")
      }
      return measured({
        ...spec,
        value: summarize(xs).p50,
        baseline: { name: "node -e 0", value: baseline.p50 },
        ratio: pairedRatio(xs, samples["baseline"]!),
        samples: summarize(xs),
        note: `median of ${xs.length} interleaved rounds`
      })
    }
    return [figure("version"), figure("status")]
  }))
