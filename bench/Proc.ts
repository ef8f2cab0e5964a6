/**
 * Processes and scratch space for the bench. Timed command runs use spawnSync
 * so nothing else in the bench's event loop competes with the measurement;
 * every run is bounded by a timeout. Every long-lived process the bench starts
 * is registered here by pid and stopped by pid: through a scope finalizer in
 * the normal and the failure path, and, as a last resort, synchronously when
 * the bench process exits. Temp HOMEs come from mkdtemp and are removed with
 * their scope.
 */
import { spawnSync } from "node:child_process"
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
import { Effect } from "effect"

export const repoRoot = path.resolve(import.meta.dirname, "..")
/** The CLI under test; a private snapshot of bin/ while the bench runs (see snapshotBuild). */
export let rddBin = path.join(repoRoot, "bin", "rdd.mjs")

/**
 * Copies the build (bin/rdd.mjs and the bin/builds/<id> it names) to a private
 * directory inside the repository (so the external better-sqlite3 still resolves
 * from node_modules) and points `rddBin` at it for the scope: a rebuild during a
 * long bench run cannot break the daemons or timings.
 */
export const snapshotBuild = Effect.acquireRelease(
  Effect.sync(() => {
    const source = path.join(repoRoot, "bin")
    const shim = existsSync(path.join(source, "rdd.mjs")) ? readFileSync(path.join(source, "rdd.mjs"), "utf8") : ""
    const build = /\.\/builds\/([^/"]+)\/main\.js/.exec(shim)?.[1]
    if (build === undefined || !existsSync(path.join(source, "builds", build, "main.js"))) {
      throw new Error("bin/rdd.mjs names no build in bin/builds: run `npm run build` first")
    }
    const dir = mkdtempSync(path.join(repoRoot, "bench", "results", ".bin-"))
    cpSync(path.join(source, "rdd.mjs"), path.join(dir, "rdd.mjs"))
    cpSync(path.join(source, "builds", build), path.join(dir, "builds", build), { recursive: true })
    rddBin = path.join(dir, "rdd.mjs")
    return dir
  }),
  (dir) => Effect.sync(() => {
    rddBin = path.join(repoRoot, "bin", "rdd.mjs")
    rmSync(dir, { recursive: true, force: true })
  })
)

export interface RunResult {
  readonly ms: number
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** Runs a command to completion and returns its wall time in ms (spawn to reaped exit). */
export const timeRun = (
  argv: ReadonlyArray<string>,
  options: { readonly env?: NodeJS.ProcessEnv; readonly timeoutMs?: number } = {}
): RunResult => {
  const [cmd, ...args] = argv
  const t0 = process.hrtime.bigint()
  const r = spawnSync(cmd!, args, {
    env: options.env ?? process.env,
    stdio: ["ignore", "pipe", "pipe"],
    timeout: options.timeoutMs ?? 60_000,
    killSignal: "SIGKILL",
    encoding: "utf8"
  })
  const ms = Number(process.hrtime.bigint() - t0) / 1e6
  return { ms, code: r.status, stdout: r.stdout ?? "", stderr: r.stderr ?? "" }
}

/** The environment for rdd runs: the given HOME, no inherited instance or log-dir overrides. */
export const rddEnv = (home: string, extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, ...extra }
  delete env["RDD_INSTANCE"]
  delete env["RDD_LOG_ROOT"]
  delete env["KUBECONFIG"]
  return env
}

/** A fresh HOME under the system temp dir, removed when the scope closes. */
export const tempHome = (prefix = "rdd-bench-") =>
  Effect.acquireRelease(
    Effect.sync(() => mkdtempSync(path.join(tmpdir(), prefix))),
    (dir) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

/** A unique instance suffix (valid per SPEC 1.5; index ≥ 100 keeps it off the default ports). */
export const uniqueSuffix = (tag: string): string => `bench-${tag}-${process.pid}-${Date.now().toString(36)}`

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
  // a zombie still answers signal 0; it has exited for our purposes
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, "utf8"))
  } catch {
    return false
  }
}

/** Resident set size of a process in bytes, from /proc/<pid>/status VmRSS. */
export const rssBytes = (pid: number): number | undefined => {
  try {
    const m = /^VmRSS:\s+([0-9]+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))
    return m === null ? undefined : Number(m[1]) * 1024
  } catch {
    return undefined
  }
}

/**
 * CPU time (user + system) a process has used so far, in ms, from
 * /proc/<pid>/stat (clock ticks, 10 ms each). Unlike wall time it hardly
 * depends on what else the machine runs, so per-request CPU of two servers is
 * a ratio that survives a loaded machine.
 */
export const cpuMs = (pid: number): number => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    // the fields after the command name, which is in parentheses and may contain spaces
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / ClockTicks
  } catch {
    return Number.NaN
  }
}
const ClockTicks = 100

const tracked = new Set<number>()

/** Remembers a pid the bench is responsible for until `stopPid` confirms it is gone. */
export const track = (pid: number): void => {
  tracked.add(pid)
}

const signal = (pid: number, sig: NodeJS.Signals): void => {
  try {
    process.kill(pid, sig)
  } catch {
    // already gone
  }
}

/** Waits (bounded, 20 ms steps) for a pid to disappear; true when it did. */
export const awaitGone = (pid: number, withinMs: number): Effect.Effect<boolean> => {
  const loop: Effect.Effect<void> = Effect.suspend(() =>
    isAlive(pid) ? Effect.zipRight(Effect.sleep("20 millis"), loop) : Effect.void
  )
  return loop.pipe(Effect.timeoutTo({ duration: withinMs, onTimeout: () => false, onSuccess: () => true }))
}

/**
 * Stops a process by pid: SIGINT (the daemon's graceful drain), then SIGKILL if
 * it is still there after `graceMs`. Never by name.
 */
export const stopPid = (pid: number, graceMs = 10_000): Effect.Effect<void> =>
  Effect.gen(function*() {
    if (isAlive(pid)) {
      signal(pid, "SIGINT")
      if (!(yield* awaitGone(pid, graceMs))) {
        signal(pid, "SIGKILL")
        yield* awaitGone(pid, 5_000)
      }
    }
    tracked.delete(pid)
  })

/** A pid owned by the current scope: stopped when the scope closes, whatever happened. */
export const ownPid = (pid: number, graceMs?: number) =>
  Effect.acquireRelease(Effect.sync(() => (track(pid), pid)), (p) => stopPid(p, graceMs))

// Last resort when the bench dies without running its finalizers.
process.once("exit", () => {
  for (const pid of tracked) signal(pid, "SIGKILL")
})
