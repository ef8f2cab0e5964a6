/**
 * `npm run bench`: measures the figures of SPEC 6 and writes one JSON report to
 * bench/results/report-<timestamp>.json and bench/results/latest.json, an SVG
 * plot next to it, and a short table on stderr. Figures are measured in
 * priority order (CLI start-up, lifecycle, API, VM, cloud guest, cost as work grows); a group
 * that cannot run (its command not built yet, a crash) yields "n/a" or "error"
 * figures with the reason instead of stopping the others.
 *
 * Flags: --quick (CI: fewer rounds and smaller loads, under ~2 minutes),
 * --only=<group,...> (startup, lifecycle, api, vm, cloud, engine, scaling; --quick skips cloud, engine and
 * scaling), --strict (exit 1 when a goal is missed; by default only an "error" figure fails
 * the run).
 * Every process the bench starts is stopped by pid through scope finalizers, so
 * Ctrl-C cleans up too.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Effect } from "effect"
import { execSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { type Figure, table, unavailable } from "./Figure.js"
import { api, Specs as ApiSpecs } from "./figures/api.js"
import { lifecycle, Specs as LifecycleSpecs } from "./figures/lifecycle.js"
import { scaling as scalingBench, scalingTable } from "./figures/scaling.js"
import { ctl, Specs as CtlSpecs } from "./figures/ctl.js"
import { startup, Specs as StartupSpecs } from "./figures/startup.js"
import { limavmReconcile, Specs as LimaVmSpecs } from "./figures/limavm.js"
import { Specs as VmSpecs, vm } from "./figures/vm.js"
import { cloud, Specs as CloudSpecs } from "./figures/cloud.js"
import { engine, Specs as EngineSpecs } from "./figures/engine.js"
import { renderPlot } from "./plot.js"
import { repoRoot, snapshotBuild } from "./Proc.js"
import type { Report, Scaling } from "./Report.js"

// The bench runs bin/rdd.mjs from this checkout, which developer mode's fallback
// rule would take for a developer's build (debug logging): measure a user's rdd.
process.env["RDD_DEVELOPER_MODE"] ??= "false"

const Groups = ["startup", "lifecycle", "api", "vm", "cloud", "engine", "scaling"] as const
type Group = (typeof Groups)[number]

interface Args {
  readonly quick: boolean
  readonly strict: boolean
  readonly only: ReadonlySet<Group>
}

const parseArgs = (argv: ReadonlyArray<string>): Args => {
  let quick = false
  let strict = false
  let only: Set<Group> = new Set(Groups)
  for (const a of argv) {
    if (a === "--quick") quick = true
    else if (a === "--strict") strict = true
    else if (a.startsWith("--only=")) {
      const names = a.slice("--only=".length).split(",").filter((s) => s !== "")
      for (const n of names) if (!(Groups as ReadonlyArray<string>).includes(n)) throw new Error(`unknown group ${JSON.stringify(n)} (known: ${Groups.join(", ")})`)
      only = new Set(names as Array<Group>)
    } else throw new Error(`unknown argument ${JSON.stringify(a)} (usage: bench/run.ts [--quick] [--strict] [--only=${Groups.join(",")}])`)
  }
  return { quick, strict, only }
}

const log = (line: string) => Effect.sync(() => process.stderr.write(`bench: ${line}\n`))

/** Runs one group; a failure becomes an "error" figure so the rest of the report survives. */
const group = (
  name: string,
  specs: ReadonlyArray<{ readonly id: string; readonly title: string; readonly unit: string }>,
  effect: Effect.Effect<ReadonlyArray<Figure>, unknown>
): Effect.Effect<ReadonlyArray<Figure>> =>
  Effect.gen(function*() {
    yield* log(`${name}…`)
    const t0 = Date.now()
    const figures = yield* effect.pipe(
      Effect.catchAllCause((cause) =>
        Cause.isInterruptedOnly(cause)
          ? Effect.failCause(cause)
          : Effect.succeed(specs.map((s) => unavailable(s, reason(cause), "error")))
      ),
      Effect.orDie
    )
    yield* log(`${name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
    return figures
  })

const reason = (cause: Cause.Cause<unknown>): string => {
  const e = Cause.squash(cause)
  return e instanceof Error ? e.message : String(e)
}

const commit = (): string => {
  try {
    return execSync("git rev-parse --short HEAD", { cwd: repoRoot, stdio: ["ignore", "pipe", "ignore"] }).toString().trim()
  } catch {
    return "unknown"
  }
}

const main = Effect.gen(function*() {
  const args = yield* Effect.try({ try: () => parseArgs(process.argv.slice(2)), catch: (e) => (e as Error).message }).pipe(
    Effect.tapError((message) => Effect.sync(() => {
      process.stderr.write(`bench: ${message}\n`)
      process.exitCode = 2
    }))
  )
  const startedAt = new Date()
  const loadAtStart = os.loadavg().map((x) => Math.round(x * 100) / 100)
  const dir = path.join(repoRoot, "bench", "results")
  mkdirSync(dir, { recursive: true })
  yield* snapshotBuild
  const figures: Array<Figure> = []
  let scaling: Scaling | null = null
  if (args.only.has("startup")) {
    figures.push(...yield* group("CLI start-up", Object.values(StartupSpecs),
      startup(args.quick ? { rounds: 10, warmup: 2 } : { rounds: 30, warmup: 3 })))
    figures.push(...yield* group("rdd ctl against kubectl", Object.values(CtlSpecs),
      ctl(args.quick ? { rounds: 8, warmup: 1 } : { rounds: 20, warmup: 2 })))
  }
  if (args.only.has("lifecycle")) {
    figures.push(...yield* group("lifecycle (svc start/stop)", Object.values(LifecycleSpecs),
      lifecycle(args.quick ? { rounds: 3 } : { rounds: 7 })))
  }
  if (args.only.has("api")) {
    figures.push(...yield* group("API against a real daemon", Object.values(ApiSpecs),
      api(args.quick
        ? { rounds: 3, batch: 300, watchers: 100, watchEvents: 50, listObjects: 10_000, listRounds: 3, churnCycles: 2_000 }
        : { rounds: 7, batch: 1_000, watchers: 100, watchEvents: 200, listObjects: 10_000, listRounds: 7, churnCycles: 10_000 })))
  }
  if (args.only.has("vm")) {
    figures.push(...yield* group("VM (qemu driver)", Object.values(VmSpecs), vm(args.quick ? { runs: 2 } : { runs: 5 })))
    figures.push(...yield* group("LimaVM controller", Object.values(LimaVmSpecs), limavmReconcile(args.quick ? { rounds: 3 } : { rounds: 7 })))
  }
  // Boots the real cloud guest (2–4 minutes each under TCG): too slow for --quick.
  if (args.only.has("cloud") && !args.quick) {
    figures.push(...yield* group("cloud guest (rdd vs bare qemu, image cache)", Object.values(CloudSpecs), cloud({ runs: 2 })))
  }
  // Boots the real engine guest twice: too slow for --quick.
  if (args.only.has("engine") && !args.quick) {
    figures.push(...yield* group("the App's container engine (engine guest)", Object.values(EngineSpecs), engine({ psRounds: 10 })))
  }
  let scalingNote: string | null = args.quick ? "not measured in --quick mode" : "not selected by --only"
  if (args.only.has("scaling") && !args.quick) {
    yield* log("cost as work grows…")
    const t0 = Date.now()
    scaling = yield* scalingBench({ sizes: [1_000, 10_000, 50_000], watchers: [10, 100, 500], timedCreates: 500, gets: 1_000, listRounds: 3, watchEvents: 50 }).pipe(
      Effect.tapError((e) => log(`cost as work grows failed: ${e.message}`)),
      Effect.tapError((e) => Effect.sync(() => (scalingNote = `failed: ${e.message}`))),
      Effect.orElseSucceed(() => null)
    )
    if (scaling !== null) scalingNote = null
    yield* log(`cost as work grows done in ${((Date.now() - t0) / 1000).toFixed(1)} s`)
  }
  const finishedAt = new Date()
  const stamp = startedAt.toISOString().replace(/[:.]/g, "-")
  const plotFile = `report-${stamp}.svg`
  const report: Report = {
    schema: "rdd-bench/1",
    mode: args.quick ? "quick" : "full",
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    seconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 100) / 10,
    commit: commit(),
    machine: {
      node: process.version,
      platform: `${process.platform}/${process.arch}`,
      cpus: os.cpus().length,
      cpuModel: os.cpus()[0]?.model ?? "unknown",
      memTotalMB: Math.round(os.totalmem() / 2 ** 20),
      loadavg: loadAtStart,
      loadavgAtEnd: os.loadavg().map((x) => Math.round(x * 100) / 100)
    },
    figures,
    scaling,
    scalingNote,
    misses: figures.filter((f) => f.verdict === "miss").map((f) => f.id),
    plot: plotFile
  }
  const json = `${JSON.stringify(report, null, 2)}\n`
  writeFileSync(path.join(dir, `report-${stamp}.json`), json)
  writeFileSync(path.join(dir, "latest.json"), json)
  const svg = renderPlot(report)
  writeFileSync(path.join(dir, plotFile), svg)
  writeFileSync(path.join(dir, "latest.svg"), svg)
  if (figures.length > 0) process.stderr.write(`\n${table(figures)}\n\n`)
  if (scaling !== null) process.stderr.write(`${scalingTable(scaling)}\n\n`)
  process.stderr.write(`report: ${path.relative(process.cwd(), path.join(dir, `report-${stamp}.json`))} (also latest.json)\n`)
  process.stderr.write(`plot:   ${path.relative(process.cwd(), path.join(dir, plotFile))} (also latest.svg)\n`)
  if (report.misses.length > 0) process.stderr.write(`missed goals: ${report.misses.join(", ")}\n`)
  const errors = figures.filter((f) => f.verdict === "error")
  if (scalingNote?.startsWith("failed") === true) process.stderr.write(`cost as work grows ${scalingNote}\n`)
  if (errors.length > 0 || scalingNote?.startsWith("failed") === true || (args.strict && report.misses.length > 0)) process.exitCode = 1
})

NodeRuntime.runMain(Effect.scoped(main).pipe(Effect.catchAll(() => Effect.void)))
