/**
 * One rdd instance for the cloud figures: a temp HOME, a unique instance, its
 * own image cache (RDD_CACHE_DIR), a daemon started with `svc start` before
 * anything is timed, and the VMs created through it. Everything is undone when
 * the scope closes, the VMs before the daemon: `limavm delete`, then each
 * QEMU seen and the daemon by pid if they are still alive.
 */
import { execFile } from "node:child_process"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { Effect, Either } from "effect"
import * as Instance from "../../src/domain/Instance.js"
import * as QemuArgs from "../../src/layers/qemu/QemuArgs.js"
import { isAlive, rddBin, rddEnv, stopPid, tempHome, timeRun, track, uniqueSuffix } from "../Proc.js"

export interface CloudInstance {
  readonly home: string
  readonly limaHome: string
  readonly cacheDir: string
  readonly env: NodeJS.ProcessEnv
  readonly argv: (...args: ReadonlyArray<string>) => ReadonlyArray<string>
  /** files of one VM under the instance's lima home */
  readonly files: (vm: string) => QemuArgs.VmFiles
  /** remembers a VM (and its QEMU pid once known) for the cleanup */
  readonly own: (vm: string, qemuPid?: number) => void
  /** deletes a VM now and waits for its QEMU to be gone */
  readonly remove: (vm: string) => Effect.Effect<void>
}

const lastLine = (s: string): string => s.trim().split("\n").slice(-1)[0] ?? ""

export const readPid = (file: string): number | undefined => {
  try {
    return Instance.parsePid(readFileSync(file, "utf8"))
  } catch {
    return undefined
  }
}

export const start = Effect.gen(function*() {
  const home = yield* tempHome("rdd-bench-cloud-")
  const suffix = uniqueSuffix("cl")
  const cacheDir = path.join(home, "image-cache")
  const env = rddEnv(home, { RDD_CACHE_DIR: cacheDir, RDD_LOG_LEVEL: "info" })
  const paths = Instance.paths(Either.getOrThrow(Instance.make(suffix)), { home, platform: "linux" })
  const argv = (...args: ReadonlyArray<string>) => [process.execPath, rddBin, "--instance", suffix, ...args]
  const files = (vm: string) => QemuArgs.vmFiles(paths.lima_home, vm)

  const daemons = new Set<number>()
  yield* Effect.addFinalizer(() =>
    Effect.gen(function*() {
      if ([...daemons].some(isAlive)) timeRun(argv("svc", "stop", "--timeout=90s"), { env, timeoutMs: 100_000 })
      yield* Effect.forEach([...daemons], (pid) => stopPid(pid, 30_000), { discard: true })
    })
  )
  const r = timeRun(argv("svc", "start"), { env, timeoutMs: 120_000 })
  const daemon = readPid(paths.pid_file)
  if (daemon !== undefined) {
    daemons.add(daemon)
    track(daemon)
  }
  if (r.code !== 0 || daemon === undefined) return yield* Effect.fail(new Error(`svc start: exit ${r.code}: ${lastLine(r.stderr)}`))

  const vms = new Map<string, Set<number>>()
  const own = (vm: string, qemuPid?: number) => {
    const pids = vms.get(vm) ?? new Set<number>()
    if (qemuPid !== undefined) {
      pids.add(qemuPid)
      track(qemuPid)
    }
    vms.set(vm, pids)
  }
  const remove = (vm: string) =>
    Effect.gen(function*() {
      const pids = vms.get(vm) ?? new Set<number>()
      const running = readPid(files(vm).pid)
      if (running !== undefined) pids.add(running)
      const d = timeRun(argv("limavm", "delete", vm), { env, timeoutMs: 300_000 })
      if (d.code !== 0) yield* Effect.logWarning(`limavm delete ${vm}: exit ${d.code}: ${lastLine(d.stderr)}`)
      // the driver stops QEMU on delete; by pid only when it did not
      yield* Effect.forEach([...pids], (pid) => stopPid(pid, 60_000), { discard: true })
      vms.delete(vm)
    })
  yield* Effect.addFinalizer(() => Effect.forEach([...vms.keys()], remove, { discard: true }))
  return { home, limaHome: paths.lima_home, cacheDir, env, argv, files, own, remove } satisfies CloudInstance
})

export interface AsyncRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** Date.now() when the command exited */
  readonly endedAt: number
}

/**
 * Runs a command without blocking the event loop (timeRun's spawnSync would
 * stall the in-process image server the daemon is downloading from).
 */
export const runAsync = (argv: ReadonlyArray<string>, env: NodeJS.ProcessEnv, timeoutMs: number): Effect.Effect<AsyncRun> =>
  Effect.async<AsyncRun>((resume) => {
    const [cmd, ...args] = argv
    const child = execFile(cmd!, args, { env, timeout: timeoutMs, killSignal: "SIGKILL", maxBuffer: 16 * 2 ** 20 }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : null
      resume(Effect.succeed({ code, stdout, stderr, endedAt: Date.now() }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })
