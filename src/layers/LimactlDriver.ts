/**
 * VmDriver on `limactl` (SPEC 4.3, driver `lima`): every operation is a limactl
 * command run with `LIMA_HOME = <lima_home>`, and the state comes from
 * `limactl list --json` (one JSON object per line: name, status Running|Stopped|Broken,
 * dir, hostAgentPID). `limactl start` blocks until the guest is up, so it runs in the
 * background: its exit is the readiness signal (0) or the failure (its output tail).
 * The hostagent that limactl starts outlives the daemon; a restarted daemon adopts it
 * by reading the list again. Binary: `RDD_LIMACTL`, else `limactl` on PATH.
 */
import * as Deferred from "effect/Deferred"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { ProcessManager, type ProcessManagerShape } from "../services/ProcessManager.js"
import {
  CreateFailed,
  DeleteFailed,
  StartFailed,
  StopFailed,
  VmDriver,
  type VmDriverShape,
  type VmSpec,
  type VmState
} from "../services/VmDriver.js"
import { poll } from "../services/Wait.js"

export interface LimactlDriverOptions {
  readonly limaHome: string
  /** path or command name of limactl */
  readonly limactl: string
  /** environment for limactl (LIMA_HOME is set on top) */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** bound on quick commands (list, create, delete) */
  readonly commandTimeout?: Duration.DurationInput
}

/** One instance as `limactl list --json` prints it (the fields rdd uses). */
export interface LimaInstance {
  readonly name: string
  readonly status: string
  readonly dir?: string
  readonly hostAgentPID?: number
  readonly driverPID?: number
}

/** Parses `limactl list --json` output: one JSON object per line; other lines are ignored. */
export const parseList = (stdout: string): ReadonlyArray<LimaInstance> =>
  stdout.split("\n").flatMap((line) => {
    const t = line.trim()
    if (!t.startsWith("{")) return []
    try {
      const o = JSON.parse(t) as Record<string, unknown>
      if (typeof o["name"] !== "string") return []
      const num = (v: unknown) => (typeof v === "number" && v > 0 ? v : undefined)
      const hostAgentPID = num(o["hostAgentPID"])
      const driverPID = num(o["driverPID"])
      return [{
        name: o["name"],
        status: typeof o["status"] === "string" ? o["status"] : "",
        ...(typeof o["dir"] === "string" ? { dir: o["dir"] } : {}),
        ...(hostAgentPID === undefined ? {} : { hostAgentPID }),
        ...(driverPID === undefined ? {} : { driverPID })
      }]
    } catch {
      return []
    }
  })

/** The argv of each operation (without the binary). */
export const commands = {
  create: (name: string, templateFile: string) => ["create", "--tty=false", `--name=${name}`, templateFile],
  start: (name: string) => ["start", "--tty=false", name],
  stop: (name: string, force: boolean) => (force ? ["stop", "--force", name] : ["stop", name]),
  delete: (name: string) => ["delete", "--force", name],
  list: () => ["list", "--json"]
} as const

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  readonly timedOut: boolean
}

const lastLines = (text: string, n = 20): string => text.trim().split("\n").slice(-n).join("\n")

export const make = (options: LimactlDriverOptions) =>
  Effect.gen(function*() {
    const processes: ProcessManagerShape = yield* ProcessManager
    const env = { ...process.env, ...options.env, LIMA_HOME: options.limaHome }
    const commandTimeout = Duration.toMillis(Duration.decode(options.commandTimeout ?? "60 seconds"))
    /** background `limactl start` runs, by VM name */
    const launches = new Map<string, { readonly pid: number; readonly exited: Deferred.Deferred<{ code: number | null }>; readonly log: string }>()
    const dirOf = (name: string) => path.join(options.limaHome, name)

    const run = (argv: ReadonlyArray<string>, timeoutMillis = commandTimeout): Effect.Effect<Result> =>
      Effect.async<Result>((resume) => {
        const child = execFile(options.limactl, argv, { env, timeout: timeoutMillis, killSignal: "SIGKILL", maxBuffer: 64 << 20 }, (err, stdout, stderr) => {
          const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null
          resume(Effect.succeed({
            code: e === null ? 0 : typeof e.code === "number" ? e.code : null,
            stdout,
            stderr: e !== null && typeof e.code === "string" ? `${stderr}${e.message}` : stderr,
            timedOut: e?.killed === true
          }))
        })
        return Effect.sync(() => child.kill("SIGKILL"))
      })

    const describe = (r: Result) =>
      r.timedOut ? "limactl did not finish in time" : lastLines(r.stderr) || `limactl exited with ${r.code ?? "a signal"}`

    const inspect = (name: string): Effect.Effect<LimaInstance | undefined> =>
      Effect.map(run(commands.list()), (r) => parseList(r.stdout).find((i) => i.name === name))

    const status = (name: string): Effect.Effect<VmState> =>
      Effect.gen(function*() {
        const inst = yield* inspect(name)
        const launch = launches.get(name)
        const launching = launch !== undefined && Option.isNone(yield* Deferred.poll(launch.exited))
        if (inst === undefined) return { _tag: "Absent" } as const
        const pid = inst.hostAgentPID ?? launch?.pid
        if (inst.status === "Running" && pid !== undefined) {
          // limactl reports Running as soon as the hostagent runs; the guest is up once `start` returned.
          return launching ? { _tag: "Starting", pid } as const : { _tag: "Running", pid } as const
        }
        if (inst.status === "Broken" && pid !== undefined) return { _tag: "Broken", pid, reason: "limactl reports the instance as Broken" } as const
        if (launching) return { _tag: "Starting", pid: launch.pid } as const
        return { _tag: "Stopped" } as const
      })

    const create = Effect.fn("LimactlDriver.create")(function*(spec: VmSpec) {
      const fail = (message: string) => new CreateFailed({ name: spec.name, message })
      const existing = yield* inspect(spec.name)
      if (existing !== undefined) {
        // Lima reads lima.yaml at each start: updating it is how a template change takes effect.
        yield* Effect.try({
          try: () => fs.writeFileSync(path.join(existing.dir ?? dirOf(spec.name), "lima.yaml"), spec.templateText, { mode: 0o644 }),
          catch: (e) => fail(`cannot update the template of ${spec.name}: ${String(e)}`)
        })
        return
      }
      const tmpDir = yield* Effect.try({
        try: () => fs.mkdtempSync(path.join(os.tmpdir(), "rdd-lima-")),
        catch: (e) => fail(`cannot write the template: ${String(e)}`)
      })
      const file = path.join(tmpDir, `${spec.name}.yaml`)
      const result = yield* Effect.sync(() => fs.writeFileSync(file, spec.templateText)).pipe(
        Effect.zipRight(run(commands.create(spec.name, file), 10 * 60_000)),
        Effect.ensuring(Effect.sync(() => fs.rmSync(tmpDir, { recursive: true, force: true })))
      )
      if (result.code !== 0) return yield* fail(describe(result))
    })

    const start = Effect.fn("LimactlDriver.start")(function*(name: string) {
      const current = yield* status(name)
      if (current._tag === "Absent") return yield* new StartFailed({ name, message: `VM ${JSON.stringify(name)} does not exist (create it first)` })
      if (current._tag === "Running" || current._tag === "Starting") return { pid: current.pid }
      const log = path.join(dirOf(name), "rdd-start.log")
      const exited = yield* Deferred.make<{ code: number | null }>()
      const pid = yield* Effect.async<number, StartFailed>((resume) => {
        let out: number
        try {
          out = fs.openSync(log, "w", 0o600)
        } catch (e) {
          resume(Effect.fail(new StartFailed({ name, message: `cannot open ${log}: ${String(e)}` })))
          return
        }
        // Detached: the start (and the hostagent it launches) must not die with the daemon.
        const child = spawn(options.limactl, commands.start(name), { env, detached: true, stdio: ["ignore", out, out] })
        fs.closeSync(out)
        child.once("error", (e) => resume(Effect.fail(new StartFailed({ name, message: `cannot run ${options.limactl}: ${e.message}` }))))
        child.once("spawn", () => {
          child.unref()
          resume(Effect.succeed(child.pid!))
        })
        child.once("exit", (code) => Deferred.unsafeDone(exited, Effect.succeed({ code })))
      })
      launches.set(name, { pid, exited, log })
      return { pid }
    })

    const awaitRunning = (name: string): Effect.Effect<void, StartFailed> =>
      Effect.gen(function*() {
        const launch = launches.get(name)
        if (launch !== undefined) {
          const { code } = yield* Deferred.await(launch.exited)
          if (code !== 0) {
            const output = fs.existsSync(launch.log) ? lastLines(fs.readFileSync(launch.log, "utf8")) : ""
            return yield* new StartFailed({ name, message: `limactl start failed${output === "" ? "" : `:\n${output}`}` })
          }
          return
        }
        // Adopted, or started by someone else: the list is the only source.
        yield* poll(
          Effect.flatMap(status(name), (s) =>
            s._tag === "Running" ? Effect.succeed(Option.some(undefined))
            : s._tag === "Starting" ? Effect.succeed(Option.none())
            : Effect.fail(new StartFailed({ name, message: `the VM is ${s._tag}, not starting` }))),
          "1 second"
        )
      }).pipe(Effect.withSpan("LimactlDriver.awaitRunning", { attributes: { name } }))

    const awaitExit = (name: string): Effect.Effect<void> =>
      Effect.flatMap(status(name), (s) => ("pid" in s ? processes.awaitExit(s.pid) : Effect.void))

    const stop = Effect.fn("LimactlDriver.stop")(function*(name: string, stopOptions?: { readonly grace?: Duration.DurationInput }) {
      const current = yield* status(name)
      if (!("pid" in current)) return
      const grace = Duration.toMillis(Duration.decode(stopOptions?.grace ?? "10 seconds"))
      let stopped = false
      if (grace > 0) {
        const graceful = yield* run(commands.stop(name, false), grace)
        stopped = graceful.code === 0
      }
      if (!stopped) {
        const forced = yield* run(commands.stop(name, true))
        if (forced.code !== 0) return yield* new StopFailed({ name, message: describe(forced) })
      }
      const after = yield* status(name)
      if (after._tag === "Running" || after._tag === "Broken") {
        return yield* new StopFailed({ name, message: "limactl reports the instance still running after stop" })
      }
      launches.delete(name)
    })

    const remove = Effect.fn("LimactlDriver.delete")(function*(name: string) {
      const current = yield* inspect(name)
      if (current === undefined) return
      const r = yield* run(commands.delete(name))
      if (r.code !== 0) return yield* new DeleteFailed({ name, message: describe(r) })
      launches.delete(name)
    })

    const driver: VmDriverShape = {
      kind: "lima",
      create,
      storedTemplate: (name) =>
        Effect.sync(() => {
          try {
            return fs.readFileSync(path.join(dirOf(name), "lima.yaml"), "utf8")
          } catch {
            return undefined
          }
        }),
      start,
      awaitRunning,
      awaitExit,
      status,
      adopt: status,
      stop,
      delete: remove,
      list: Effect.map(run(commands.list()), (r) => parseList(r.stdout).map((i) => i.name).sort()),
      logPath: (name) => path.join(dirOf(name), "serial.log")
    }
    return driver
  })

/** Whether a limactl can be run at all (for choosing the driver). */
export const available = (limactl: string): Effect.Effect<boolean> =>
  Effect.async<boolean>((resume) => {
    execFile(limactl, ["--version"], { timeout: 10_000 }, (err) => resume(Effect.succeed(err === null)))
  })

/** The lima driver as a layer (LIMA_HOME = `options.limaHome`). */
export const layer = (options: LimactlDriverOptions): Layer.Layer<VmDriver, never, ProcessManager> => Layer.effect(VmDriver, make(options))
