/**
 * VmDriver on QEMU (SPEC 4.3): real virtual machines, each in `<lima_home>/<name>/`
 * with its template (`lima.yaml`), disk (`diffdisk`), QMP socket, pid file and serial
 * log. QEMU is started with `-daemonize`, so setup errors (a missing kernel) come back
 * synchronously and the VM then runs in its own session, surviving the daemon. Running
 * means the guest printed its readiness line on the serial console. Stop escalates:
 * ACPI power button over QMP, `quit` after the grace period, then SIGKILL. Everything
 * is rebuilt from the directory and the process table, which is what lets a restarted
 * daemon adopt a VM without rebooting it. Measured figures: reference/qemu-guest.md.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as LimaTemplate from "../domain/LimaTemplate.js"
import { InstanceDir } from "../services/InstanceDir.js"
import { ProcessManager, type ProcessManagerShape } from "../services/ProcessManager.js"
import {
  CreateFailed,
  DeleteFailed,
  isUp,
  StartFailed,
  StopFailed,
  VmDriver,
  type VmDriverShape,
  type VmSpec,
  type VmState
} from "../services/VmDriver.js"
import { poll } from "../services/Wait.js"
import * as Accelerator from "./qemu/Accelerator.js"
import * as Qmp from "./qemu/Qmp.js"
import * as QemuArgs from "./qemu/QemuArgs.js"
import * as SerialLog from "./qemu/SerialLog.js"
import { writeFileAtomicSync } from "./NodeInstanceDir.js"

export interface QemuDriverOptions {
  readonly limaHome: string
  /** for `~` in template locations */
  readonly home: string
  /** RDD_QEMU_ACCEL */
  readonly accelOverride?: string | undefined
  /** where the KVM probe verdict is cached */
  readonly cacheDir: string
  /** escalation steps after the power button (defaults: quit 2s, kill 5s) */
  readonly quitWait?: Duration.DurationInput
  readonly killWait?: Duration.DurationInput
  /** the QEMU executable; default qemu-system-<arch> on PATH */
  readonly qemuBinary?: string
}

/** Lima's instance-name rule; the name is a directory and part of the QMP socket path. */
const namePattern = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/
/** How often the serial log is checked for the readiness line while a guest boots. */
const ReadyPollInterval = Duration.millis(50)
const DefaultGrace = Duration.seconds(10)
const SetupTimeoutMillis = 30_000

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

const exists = (p: string): boolean => {
  try {
    fs.statSync(p)
    return true
  } catch {
    return false
  }
}

const readText = (p: string): string | undefined => {
  try {
    return fs.readFileSync(p, "utf8")
  } catch {
    return undefined
  }
}

const removeQuietly = (p: string): void => {
  try {
    fs.rmSync(p, { force: true })
  } catch {
    // best effort: a stale file is overwritten by the next QEMU anyway
  }
}

/** qcow2 images start with "QFI\xfb"; anything else is used raw. */
const diskFormat = (p: string): "raw" | "qcow2" => {
  try {
    const fd = fs.openSync(p, "r")
    try {
      const b = Buffer.alloc(4)
      fs.readSync(fd, b, 0, 4, 0)
      return b.equals(Buffer.from([0x51, 0x46, 0x49, 0xfb])) ? "qcow2" : "raw"
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    return "raw"
  }
}

export const make = (options: QemuDriverOptions) =>
  Effect.gen(function*() {
    const processes: ProcessManagerShape = yield* ProcessManager
    const files = (name: string) => QemuArgs.vmFiles(options.limaHome, name)
    /** readiness progress per VM, keyed by name; valid only for the pid it was taken for */
    const scans = new Map<string, { readonly pid: number; scan: SerialLog.Scan; readonly readyLine: string }>()
    let verdict: Accelerator.Verdict | undefined
    /**
     * One lifecycle operation per VM at a time: a start racing a stop could otherwise
     * remove the pid file of the QEMU it just launched. Reads (status, awaitRunning) are free.
     */
    const locks = new Map<string, Effect.Semaphore>()
    const serialized = (name: string) => <A, E>(effect: Effect.Effect<A, E>): Effect.Effect<A, E> =>
      Effect.suspend(() => {
        let lock = locks.get(name)
        if (lock === undefined) {
          lock = Effect.unsafeMakeSemaphore(1)
          locks.set(name, lock)
        }
        return lock.withPermits(1)(effect)
      })
    const quitWait = Duration.decode(options.quitWait ?? "2 seconds")
    const killWait = Duration.decode(options.killWait ?? "5 seconds")

    const loadTemplate = (name: string): Either.Either<LimaTemplate.LimaTemplate, string> => {
      const text = readText(files(name).template)
      if (text === undefined) return Either.left(`VM ${JSON.stringify(name)} does not exist (no ${files(name).template})`)
      return Either.mapLeft(LimaTemplate.parse(text), (e) => e.message)
    }

    const local = (location: string) => LimaTemplate.localPath(location, options.home)

    /** The pid in qemu.pid when that process is alive and is this VM's QEMU (pid-reuse guard). */
    const livePid = (name: string): Effect.Effect<number | undefined> =>
      Effect.gen(function*() {
        const f = files(name)
        const text = readText(f.pid)
        const pid = text === undefined ? undefined : Number(text.trim())
        if (pid === undefined || !Number.isInteger(pid) || pid <= 1) return undefined
        const identity = yield* processes.identity(pid)
        if (Option.isNone(identity)) return undefined
        return identity.value.argv.some((a) => a.includes(f.qmp)) ? pid : undefined
      })

    const clearStaleFiles = (name: string) =>
      Effect.sync(() => {
        removeQuietly(files(name).pid)
        removeQuietly(files(name).qmp)
        scans.delete(name)
      })

    /** Re-reads the serial log from where it was left for this pid. */
    const checkReady = (name: string, pid: number): boolean => {
      let entry = scans.get(name)
      if (entry === undefined || entry.pid !== pid) {
        const template = loadTemplate(name)
        const readyLine = Either.isRight(template) ? QemuArgs.readyLineFor(template.right, name) : QemuArgs.DefaultReadyLine
        entry = { pid, scan: SerialLog.initialScan, readyLine }
        scans.set(name, entry)
      }
      entry.scan = SerialLog.advance(files(name).serial, entry.readyLine, entry.scan)
      return entry.scan.ready
    }

    const status = (name: string): Effect.Effect<VmState> =>
      Effect.gen(function*() {
        if (!exists(files(name).template)) return { _tag: "Absent" } as const
        const pid = yield* livePid(name)
        if (pid === undefined) return { _tag: "Stopped" } as const
        return checkReady(name, pid) ? { _tag: "Running", pid } as const : { _tag: "Starting", pid } as const
      })

    /** QEMU's own last words and the guest console's last lines, for a failed boot. */
    const diagnostics = (name: string): string => {
      const qemu = SerialLog.tail(files(name).log, 5)
      const guest = SerialLog.tail(files(name).serial)
      return `${qemu === "" ? "" : `; QEMU said:\n${qemu}`}${guest === "" ? "" : `; last console lines:\n${guest}`}`
    }

    const accelerator = (qemu: string, probeKernel: string | undefined, arch: LimaTemplate.Arch) =>
      verdict !== undefined
        ? Effect.succeed(verdict)
        : Accelerator.detect({
          override: options.accelOverride,
          qemu,
          probeKernel,
          cacheFile: `${options.cacheDir}/qemu-accel.json`,
          guestArch: arch === "aarch64" ? "aarch64" : "x86_64"
        }).pipe(Effect.tap((v) => Effect.sync(() => (verdict = v))))

    const create = Effect.fn("QemuDriver.create")(function*(spec: VmSpec) {
      const fail = (message: string) => new CreateFailed({ name: spec.name, message })
      const f = files(spec.name)
      if (!namePattern.test(spec.name)) {
        return yield* fail(`VM name ${JSON.stringify(spec.name)} is not a valid instance name (letters, digits, and . _ - between them)`)
      }
      if (Buffer.byteLength(f.qmp) > QemuArgs.MaxSocketPath) {
        return yield* fail(`the QMP socket path ${f.qmp} is longer than ${QemuArgs.MaxSocketPath} bytes; use a shorter VM name`)
      }
      const t = spec.template
      if (t.vmType !== "qemu") return yield* fail(`vmType ${JSON.stringify(t.vmType)} is not supported by the qemu driver`)
      const image = QemuArgs.imageFor(t)
      if (image === undefined) return yield* fail(`the template has no image for arch ${JSON.stringify(t.arch)}`)
      const refs: Array<[string, string]> = [["image", image.location]]
      if (image.kernel !== undefined) refs.push(["kernel", image.kernel.location])
      if (image.initrd !== undefined) refs.push(["initrd", image.initrd.location])
      for (const [what, location] of refs) {
        const p = local(location)
        if (p === undefined) {
          return yield* fail(`the qemu driver cannot download the ${what} ${location}; use a local file`)
        }
        if (!exists(p)) return yield* fail(`${what} file ${JSON.stringify(p)} does not exist`)
      }
      yield* Effect.tryPromise({
        try: async () => {
          await fs.promises.mkdir(f.dir, { recursive: true, mode: 0o700 })
          if (!exists(f.disk)) {
            // The instance's own copy of the image, so the guest never writes the template's file.
            const tmp = `${f.disk}.${process.pid}.tmp`
            await fs.promises.copyFile(local(image.location)!, tmp, fs.constants.COPYFILE_FICLONE)
            await fs.promises.rename(tmp, f.disk)
          }
          writeFileAtomicSync(f.template, spec.templateText, 0o600)
        },
        catch: (e) => fail(`cannot create the instance directory ${f.dir}: ${errorText(e)}`)
      })
    })

    const launch = (name: string, argv: ReadonlyArray<string>, binary: string) =>
      Effect.async<void, StartFailed>((resume) => {
        execFile(binary, argv, { timeout: SetupTimeoutMillis, killSignal: "SIGKILL" }, (err, _stdout, stderr) => {
          if (err === null) resume(Effect.void)
          else if ((err as NodeJS.ErrnoException).code === "ENOENT") {
            resume(Effect.fail(new StartFailed({
              name,
              message: `${binary} is not installed (on Debian/Ubuntu: apt-get install qemu-system-x86; on macOS: brew install qemu)`
            })))
          } else {
            const detail = stderr.trim() !== "" ? stderr.trim() : errorText(err)
            resume(Effect.fail(new StartFailed({ name, message: `QEMU failed to start: ${detail}` })))
          }
        })
      })

    const start = Effect.fn("QemuDriver.start")(function*(name: string) {
      const fail = (message: string) => new StartFailed({ name, message })
      const current = yield* status(name)
      if (current._tag === "Absent") return yield* fail(`VM ${JSON.stringify(name)} does not exist (create it first)`)
      if (isUp(current)) return { pid: current.pid }
      const template = loadTemplate(name)
      if (Either.isLeft(template)) return yield* fail(template.left)
      const t = template.right
      const image = QemuArgs.imageFor(t)
      if (image === undefined) return yield* fail(`the template has no image for arch ${JSON.stringify(t.arch)}`)
      const f = files(name)
      const kernel = image.kernel === undefined ? undefined : local(image.kernel.location)
      const initrd = image.initrd === undefined ? undefined : local(image.initrd.location)
      for (const [what, p] of [["kernel", kernel], ["initrd", initrd]] as const) {
        if (p !== undefined && !exists(p)) return yield* fail(`${what} file ${JSON.stringify(p)} does not exist`)
      }
      if (image.kernel !== undefined && kernel === undefined) return yield* fail(`the qemu driver cannot download ${image.kernel.location}`)
      const binary = options.qemuBinary ?? QemuArgs.binaryFor(t.arch)
      const accel = yield* accelerator(binary, kernel, t.arch).pipe(Effect.mapError(fail))
      yield* Effect.annotateCurrentSpan("accel", `${accel.accel} (${accel.reason})`)
      const argv = QemuArgs.args(
        {
          name,
          arch: t.arch,
          cpus: t.cpus ?? Math.max(1, Math.min(4, os.cpus().length)),
          memoryMiB: Math.floor((t.memoryBytes ?? Math.min(4 * 1024 ** 3, os.totalmem() / 2)) / 1024 ** 2),
          accel: accel.accel
        },
        {
          ...(kernel === undefined ? {} : { kernel, cmdline: QemuArgs.cmdlineFor(image.kernel!, name, t.arch) }),
          ...(initrd === undefined ? {} : { initrd }),
          ...(exists(f.disk) ? { disk: { path: f.disk, format: diskFormat(f.disk) } } : {})
        },
        f
      )
      yield* clearStaleFiles(name)
      yield* Effect.sync(() => {
        // Keep the previous boot's console for `limavm logs`; QEMU truncates serial.log.
        try {
          fs.renameSync(f.serial, f.previousSerial)
        } catch {
          // first boot
        }
      })
      // Not interruptible: QEMU daemonizes by forking early, so killing the launcher half-way
      // would leave a VM nobody knows about (bounded by SetupTimeoutMillis; ~100 ms normally).
      const pid = yield* Effect.uninterruptible(Effect.zipRight(launch(name, argv, binary), livePid(name)))
      if (pid === undefined) return yield* fail(`QEMU exited right after starting${diagnostics(name)}`)
      checkReady(name, pid) // remembers the pid, so a failure report can name it even if QEMU dies at once
      yield* Effect.logDebug(`VM ${name}: QEMU pid ${pid}, accel ${accel.accel} (${accel.reason})`)
      return { pid }
    })

    const awaitRunning = (name: string): Effect.Effect<void, StartFailed> =>
      poll(
        Effect.gen(function*() {
          const pid = yield* livePid(name)
          if (pid === undefined) {
            const last = scans.get(name)?.pid
            return yield* new StartFailed({
              name,
              message: `the VM${last === undefined ? "" : ` (QEMU pid ${last})`} stopped before its guest signalled boot${diagnostics(name)}`
            })
          }
          return checkReady(name, pid) ? Option.some(undefined) : Option.none()
        }),
        ReadyPollInterval
      ).pipe(Effect.withSpan("QemuDriver.awaitRunning", { attributes: { name } }))

    const awaitExit = (name: string): Effect.Effect<void> =>
      Effect.flatMap(livePid(name), (pid) => (pid === undefined ? Effect.void : processes.awaitExit(pid)))

    /** Waits at most `limit` for the pid to go; true when it went. */
    const exitedWithin = (pid: number, limit: Duration.Duration) =>
      processes.awaitExit(pid).pipe(Effect.timeoutOption(limit), Effect.map(Option.isSome))

    const stopUnlocked = Effect.fn("QemuDriver.stop")(function*(name: string, stopOptions?: { readonly grace?: Duration.DurationInput }) {
      const f = files(name)
      const pid = yield* livePid(name)
      if (pid === undefined) {
        yield* clearStaleFiles(name)
        return
      }
      const grace = Duration.decode(stopOptions?.grace ?? DefaultGrace)
      let qmpAlive = true
      if (Duration.greaterThan(grace, Duration.zero)) {
        const sent = yield* Effect.either(Qmp.executeFinal(f.qmp, "system_powerdown"))
        if (Either.isLeft(sent) && sent.left.reason === "timeout") qmpAlive = false
        if (Either.isRight(sent) && (yield* exitedWithin(pid, grace))) {
          yield* clearStaleFiles(name)
          return
        }
        yield* Effect.logDebug(`VM ${name}: no power-off within ${Duration.format(grace)}; quitting QEMU`)
      }
      if (qmpAlive) {
        const quit = yield* Effect.either(Qmp.executeFinal(f.qmp, "quit"))
        if (Either.isRight(quit) && (yield* exitedWithin(pid, quitWait))) {
          yield* clearStaleFiles(name)
          return
        }
      }
      yield* Effect.logDebug(`VM ${name}: QEMU (pid ${pid}) did not quit; killing it`)
      yield* processes.signal(pid, "kill")
      if (!(yield* exitedWithin(pid, killWait))) {
        return yield* new StopFailed({ name, message: `QEMU (pid ${pid}) is still running after SIGKILL` })
      }
      yield* clearStaleFiles(name)
    })

    const adopt = Effect.fn("QemuDriver.adopt")(function*(name: string) {
      const state = yield* status(name)
      if (state._tag === "Stopped") yield* clearStaleFiles(name)
      if (!isUp(state)) return state
      const answer = yield* Effect.either(Qmp.execute(files(name).qmp, "query-status"))
      if (Either.isLeft(answer)) {
        return { _tag: "Broken", pid: state.pid, reason: `QEMU does not answer on QMP: ${answer.left.message}` } as const
      }
      return state
    })

    const remove = Effect.fn("QemuDriver.delete")(function*(name: string) {
      if (!exists(files(name).dir)) return
      yield* stopUnlocked(name, { grace: Duration.zero })
      yield* Effect.try({
        try: () => fs.rmSync(files(name).dir, { recursive: true, force: true }),
        catch: (e) => new DeleteFailed({ name, message: `cannot remove ${files(name).dir}: ${errorText(e)}` })
      })
      scans.delete(name)
    })

    const list = Effect.sync(() => {
      try {
        return fs.readdirSync(options.limaHome).filter((n) => exists(files(n).template)).sort()
      } catch {
        return []
      }
    })

    const driver: VmDriverShape = {
      kind: "qemu",
      create: (spec) => serialized(spec.name)(create(spec)),
      storedTemplate: (name) => Effect.sync(() => readText(files(name).template)),
      start: (name) => serialized(name)(start(name)),
      awaitRunning,
      awaitExit,
      status,
      adopt,
      stop: (name, stopOptions) => serialized(name)(stopUnlocked(name, stopOptions)),
      delete: (name) => serialized(name)(remove(name)),
      list,
      logPath: (name) => files(name).serial
    }
    return driver
  })

const cacheDir = (): string => {
  const xdg = process.env["XDG_CACHE_HOME"]
  return `${xdg !== undefined && xdg !== "" ? xdg : `${os.homedir()}/.cache`}/rdd`
}

/** The qemu driver for the current instance: `<lima_home>` from InstanceDir. */
export const layer = Layer.effect(
  VmDriver,
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    return yield* make({
      limaHome: dir.paths.lima_home,
      home: os.homedir(),
      accelOverride: process.env["RDD_QEMU_ACCEL"],
      cacheDir: cacheDir()
    })
  })
)
