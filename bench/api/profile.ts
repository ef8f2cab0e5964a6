/**
 * CPU profile of the daemon under one API load (issue 15 item 4: profile
 * before changing anything). Builds an unminified copy of the bundle (the same
 * esbuild options as scripts/build.mjs but with names kept, so frames are
 * readable) into bench/results/.profile-build (kept for the summary), starts `svc serve` from it with
 * `node --cpu-prof`, warms up, runs the load, stops the daemon with SIGINT (its
 * graceful exit writes the profile) and prints the top self-time frames.
 *
 *   npx tsx bench/api/profile.ts create [count]    ConfigMap creates, one keep-alive socket
 *   npx tsx bench/api/profile.ts get [count]       ConfigMap gets of objects created first
 *   npx tsx bench/api/profile.ts watch [events]    creates with 100 watchers open
 *   npx tsx bench/api/profile.ts summary <file.cpuprofile> [top]
 *
 * The profile stays in bench/results/profiles/ (git-ignored). With RDD_PROFILE=0
 * the daemon runs without the profiler and only its CPU time per request
 * (/proc/<pid>/stat) is printed: the before/after figure of a change.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Effect } from "effect"
import * as esbuild from "esbuild"
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { cpuMs, repoRoot, tempHome, uniqueSuffix } from "../Proc.js"
import { nowMs } from "./Client.js"
import { startDaemon } from "./Daemon.js"
import { cmPath, configMap, ensureNamespace, sequential, watchDelivery } from "./kernels.js"

interface Node {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly children?: ReadonlyArray<number>
}
interface Profile {
  readonly nodes: ReadonlyArray<Node>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

/**
 * The source module of a line of an unminified esbuild bundle: esbuild writes a
 * `// src/…` comment before each module, so the nearest one above the line names it.
 */
const moduleIndex = new Map<string, ReadonlyArray<readonly [number, string]>>()
const moduleOf = (url: string, line: number): string => {
  const file = url.replace(/^file:\/\//, "")
  let index = moduleIndex.get(file)
  if (index === undefined) {
    const marks: Array<readonly [number, string]> = []
    try {
      readFileSync(file, "utf8").split("\n").forEach((l, i) => {
        const m = /^\/\/ (\S+\.[cm]?[jt]s)$/.exec(l)
        // "../main/node_modules/effect/dist/esm/internal/core.js" → "effect/dist/esm/internal/core.js"
        if (m !== null) marks.push([i, m[1]!.replace(/^(\.\.\/)+/, "").replace(/^.*node_modules\//, "")])
      })
    } catch {
      // not a file (node: internals)
    }
    index = marks
    moduleIndex.set(file, index)
  }
  let found = ""
  for (const [at, name] of index) {
    if (at > line) break
    found = name
  }
  return found === "" ? path.basename(file) : found
}

/**
 * Self time per frame (function, source module of the bundle, line) and per
 * module, as shares of all samples; a native frame (writev, JSON.stringify…)
 * is shown with the JavaScript frame that called it.
 */
export const summarise = (file: string, top = 25): string => {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile
  const byId = new Map(p.nodes.map((n) => [n.id, n]))
  const parent = new Map<number, number>()
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id)
  const self = new Map<number, number>()
  let total = 0
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0
    self.set(id, (self.get(id) ?? 0) + dt)
    total += dt
  })
  const describe = (n: Node): string => {
    const f = n.callFrame
    if (f.url === "") return f.functionName
    const where = f.url.startsWith("node:") ? f.url : moduleOf(f.url, f.lineNumber)
    return `${f.functionName || "(anonymous)"} ${where}:${f.lineNumber + 1}`
  }
  const frames = new Map<string, number>()
  const modules = new Map<string, number>()
  for (const [id, us] of self) {
    const n = byId.get(id)!
    const f = n.callFrame
    const caller = parent.get(id)
    const native = f.url === "" && caller !== undefined && !f.functionName.startsWith("(")
    const key = native ? `${describe(n)} ← ${describe(byId.get(caller)!)}` : describe(n)
    frames.set(key, (frames.get(key) ?? 0) + us)
    const mod = f.url === "" ? f.functionName : f.url.startsWith("node:") ? f.url : moduleOf(f.url, f.lineNumber)
    modules.set(mod, (modules.get(mod) ?? 0) + us)
  }
  const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)}%`
  const rows = (m: Map<string, number>, n: number) =>
    [...m].sort((a, b) => b[1] - a[1]).slice(0, n).map(([k, us]) => `${pct(us)}  ${k}`).join("\n")
  return `total ${(total / 1000).toFixed(0)} ms sampled\n\ntop self time by frame:\n${rows(frames, top)}\n\nby module:\n${rows(modules, Math.max(15, top))}`
}

/** Left in place after the run: the summary maps profile lines back to its modules. */
const profileBuild = Effect.promise(async () => {
    const dir = path.join(repoRoot, "bench", "results", ".profile-build")
    rmSync(dir, { recursive: true, force: true })
    await esbuild.build({
      entryPoints: { main: path.join(repoRoot, "src", "main.ts") },
      outdir: path.join(dir, "chunks"),
      bundle: true,
      splitting: true,
      format: "esm",
      platform: "node",
      target: "node20",
      // unminified, so V8 names the frames from the source; not keepNames: its `__name`
      // call on every closure made cost 2–3% of a create's CPU, a cost the real build has not
      minify: false,
      external: ["better-sqlite3"],
      banner: { js: "import { createRequire as __rddCreateRequire } from 'node:module'; const require = __rddCreateRequire(import.meta.url);" },
      logLevel: "warning"
    })
    writeFileSync(path.join(dir, "rdd.mjs"), "import \"./chunks/main.js\"\n")
    return dir
  })

/** RDD_PROFILE=0: no profiler, only the daemon's CPU per request (before/after comparisons) */
const profiled = process.env["RDD_PROFILE"] !== "0"

const load = (kind: string, count: number) =>
  Effect.scoped(Effect.gen(function*() {
    const build = yield* profileBuild
    const out = path.join(repoRoot, "bench", "results", "profiles")
    mkdirSync(out, { recursive: true })
    const before = new Set(readdirSync(out))
    const home = yield* tempHome("rdd-bench-profile-")
    yield* Effect.scoped(Effect.gen(function*() {
      const daemon = yield* startDaemon({ home, suffix: uniqueSuffix("prof"), bin: path.join(build, "rdd.mjs"), nodeArgs: [...(process.env["RDD_DAEMON_NODE_ARGS"]?.split(" ").filter((a) => a !== "") ?? []), ...(profiled ? ["--cpu-prof", `--cpu-prof-dir=${out}`, `--cpu-prof-name=${kind}-${Date.now()}.cpuprofile`] : [])] })
      const c = daemon.client
      const run = <A>(f: () => Promise<A>) => Effect.promise(f)
      yield* run(() => ensureNamespace(c, "p"))
      // the bench's warm-up, so the profile shows steady state
      yield* run(() => sequential(1_000, (i) => c.request("POST", cmPath("p"), configMap("p", `warm-${i}`)), "warm-up", [201]))
      yield* run(() => sequential(1_000, (i) => c.request("GET", cmPath("p", `warm-${i}`)), "warm-up", [200]))
      const t0 = nowMs()
      const cpu0 = cpuMs(daemon.pid)
      if (kind === "create") yield* run(() => sequential(count, (i) => c.request("POST", cmPath("p"), configMap("p", `cm-${i}`)), "create", [201]))
      else if (kind === "get") yield* run(() => sequential(count, (i) => c.request("GET", cmPath("p", `warm-${i % 1_000}`)), "get", [200]))
      else if (kind === "watch") {
        yield* run(() => ensureNamespace(c, "w"))
        const d = yield* run(() => watchDelivery(daemon.endpoint, c, "w", 100, count))
        const sorted = [...d.latencies].sort((a, b) => a - b)
        process.stderr.write(`watch p50 ${sorted[Math.floor(sorted.length / 2)]?.toFixed(2)} ms, p99 ${sorted[Math.floor(sorted.length * 0.99)]?.toFixed(2)} ms\n`)
      } else throw new Error(`unknown load ${kind}`)
      process.stderr.write(`${kind}: ${count} in ${(nowMs() - t0).toFixed(0)} ms (${((count * 1000) / (nowMs() - t0)).toFixed(0)}/s, profiler ${profiled ? "on" : "off"}), daemon CPU ${((cpuMs(daemon.pid) - cpu0) * 1000 / count).toFixed(0)} µs per request\n`)
    }))
    if (!profiled) return
    const made = readdirSync(out).filter((f) => !before.has(f) && f.endsWith(".cpuprofile"))
    if (made.length === 0) throw new Error("the daemon wrote no profile")
    for (const f of made) process.stdout.write(`${path.join(out, f)}\n${summarise(path.join(out, f))}\n`)
  }))

const [kind = "create", arg, top] = process.argv.slice(2)
if (kind === "summary") {
  if (arg === undefined) throw new Error("summary <file.cpuprofile> [top]")
  process.stdout.write(`${summarise(arg, Number(top ?? 25))}\n`)
} else {
  NodeRuntime.runMain(load(kind, Number(arg ?? 5_000)))
}
