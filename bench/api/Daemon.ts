/**
 * A real daemon for the API benchmarks: `rdd --instance <unique> svc serve`
 * spawned straight from bin/rdd.mjs in a temp HOME (so the figures do not
 * depend on the lifecycle commands), awaited to readiness exactly as SPEC 2.8
 * defines it (pid alive, GET /readyz 200 with the kubeconfig's credentials,
 * discovery ConfigMap of THIS run's start id marked ready), and stopped by pid
 * when the scope closes. The time from spawn to ready is the
 * "daemon start-to-ready" figure.
 */
import { spawn, spawnSync } from "node:child_process"
import { closeSync, existsSync, openSync, readFileSync, statSync } from "node:fs"
import * as path from "node:path"
import { Effect, Either, type Scope } from "effect"
import { median } from "../stats.js"
import * as Instance from "../../src/domain/Instance.js"
import * as RunRecord from "../../src/domain/RunRecord.js"
import { type Client, type Endpoint, endpointFromKubeconfig, makeClient, nowMs } from "./Client.js"
import { isAlive, ownPid, rddBin, rddEnv, rssBytes } from "../Proc.js"

export interface Daemon {
  readonly pid: number
  readonly suffix: string
  readonly home: string
  readonly paths: Instance.Paths
  readonly endpoint: Endpoint
  /** the one keep-alive client (a single socket) */
  readonly client: Client
  readonly startToReadyMs: number
  readonly rss: () => number | undefined
}

/** Whether this build has `svc serve` (the daemon may not be written yet). */
export const serveAvailable = (): Either.Either<void, string> => {
  // A parent command answers --help for an unknown child too, so look for the child's own usage line.
  const r = spawnSync(process.execPath, [rddBin, "svc", "serve", "--help"], { stdio: ["ignore", "pipe", "pipe"], timeout: 30_000, env: rddEnv("/nonexistent"), encoding: "utf8" })
  return r.status === 0 && /^ {2}rdd svc serve\b/m.test(r.stdout) ? Either.right(undefined) : Either.left("`rdd svc serve` is not available in this build")
}

const ReadyAnnotation = "rdd.rancherdesktop.io/ready"

interface DiscoveryConfigMap {
  readonly metadata?: { readonly annotations?: Readonly<Record<string, string>> }
  readonly data?: Readonly<Record<string, string>>
}

/** One readiness probe per SPEC 2.8; false while any part is missing. */
const probeReady = async (paths: Instance.Paths, pid: number, clientRef: { c?: Client }): Promise<boolean> => {
  if (!isAlive(pid) || !existsSync(paths.config) || !existsSync(paths.run_file)) return false
  const record = RunRecord.decode(readFileSync(paths.run_file, "utf8"))
  if (Either.isLeft(record) || record.right.pid !== pid) return false
  if (clientRef.c === undefined) clientRef.c = makeClient(endpointFromKubeconfig(paths.config), { timeoutMs: 2_000 })
  try {
    const readyz = await clientRef.c.request("GET", "/readyz")
    if (readyz.status !== 200) return false
    const cm = await clientRef.c.request("GET", "/api/v1/namespaces/rdd-system/configmaps/rdd-controller-manager")
    if (cm.status !== 200) return false
    const obj = JSON.parse(cm.body.toString("utf8")) as DiscoveryConfigMap
    const embedded = JSON.parse(obj.data?.["embedded"] ?? "{}") as { startId?: string }
    return embedded.startId === record.right.startId && obj.metadata?.annotations?.[ReadyAnnotation] === "true"
  } catch {
    return false
  }
}

export interface StartOptions {
  readonly home: string
  readonly suffix: string
  readonly args?: ReadonlyArray<string>
  readonly readyWithinMs?: number
  /** flags for node before the bundle, e.g. --cpu-prof (bench/api/profile.ts) */
  readonly nodeArgs?: ReadonlyArray<string>
  /** the CLI to run instead of the bench's snapshot of bin/rdd.mjs */
  readonly bin?: string
}

/** Spawns the daemon and waits for readiness; the scope stops it by pid (SIGINT, then SIGKILL). */
export const startDaemon = (options: StartOptions): Effect.Effect<Daemon, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const instance = Either.getOrThrow(Instance.make(options.suffix))
    const paths = Instance.paths(instance, { home: options.home, platform: "linux" })
    const logFile = path.join(options.home, `daemon-${options.suffix}.log`)
    const t0 = nowMs()
    const pid = yield* Effect.sync(() => {
      const fd = openSync(logFile, "a")
      try {
        const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.bin ?? rddBin, "--instance", options.suffix, "svc", "serve", ...(options.args ?? [])], {
          env: rddEnv(options.home),
          stdio: ["ignore", fd, fd],
          // its own process group, as `svc start` does: a Ctrl-C on the bench reaches only the
          // bench, whose finalizer then sends the daemon ONE SIGINT (a second would skip the drain)
          detached: true
        })
        child.unref()
        return child.pid
      } finally {
        closeSync(fd)
      }
    })
    if (pid === undefined) return yield* Effect.fail(new Error("could not spawn `rdd svc serve`"))
    yield* ownPid(pid, 50_000)
    const probe: { c?: Client } = {}
    const within = options.readyWithinMs ?? 60_000
    const deadline = t0 + within
    let ready = false
    while (!ready) {
      ready = yield* Effect.promise(() => probeReady(paths, pid, probe))
      if (ready) break
      if (!isAlive(pid)) {
        const lines = readFileSync(logFile, "utf8").trim().split("\n")
        const errors = lines.filter((l) => /level=(fatal|error)/.test(l))
        const tail = (errors.length > 0 ? errors : lines).slice(-2).join(" | ")
        return yield* Effect.fail(new Error(`the daemon exited during start-up: ${tail}`))
      }
      if (nowMs() > deadline) return yield* Effect.fail(new Error(`the daemon was not ready within ${within} ms (log: ${logFile})`))
      yield* Effect.sleep("10 millis")
    }
    const startToReadyMs = nowMs() - t0
    probe.c?.close()
    const endpoint = endpointFromKubeconfig(paths.config)
    const client = yield* Effect.acquireRelease(Effect.sync(() => makeClient(endpoint)), (c) => Effect.sync(() => c.close()))
    return { pid, suffix: options.suffix, home: options.home, paths, endpoint, client, startToReadyMs, rss: () => rssBytes(pid) }
  })

const MB = 2 ** 20

export const mb = (bytes: number | undefined): number => (bytes === undefined ? Number.NaN : bytes / MB)

/** Median RSS over a few samples a little apart (RSS jitters with GC). */
export const settledRss = (daemon: Daemon, samples = 5) =>
  Effect.gen(function*() {
    const xs: Array<number> = []
    for (let i = 0; i < samples; i++) {
      xs.push(mb(daemon.rss()))
      yield* Effect.sleep("200 millis")
    }
    return median(xs)
  })

/** Size of the store's files (db + WAL) in MB. */
export const dbSize = (daemon: Daemon): number => {
  let total = 0
  for (const f of [daemon.paths.db, `${daemon.paths.db}-wal`]) {
    try {
      total += statSync(f).size
    } catch {
      // no WAL right now
    }
  }
  return total / MB
}
