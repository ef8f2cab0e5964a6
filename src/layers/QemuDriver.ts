/**
 * VmDriver on QEMU (SPEC 4.3), doing for a QEMU guest what Lima does: each VM lives in
 * `<lima_home>/<name>/` with its template (`lima.yaml`), a qcow2 overlay (`diffdisk`) on
 * the cached image (VmDisk), a cloud-init seed (`cidata.iso`), its SSH key, `ssh.config`,
 * QMP socket, pid file and serial log. The guest gets Lima's user-mode network with its
 * SSH port forwarded to 127.0.0.1; a host agent per running VM (HostAgent, a supervised
 * fiber) decides readiness over SSH and keeps the template's forwards and mounts.
 * Templates with the rdd extension `rdd.readyLine` are kernel-only guests without a
 * seed or network: for them "running" is that line on the serial console.
 * QEMU is started with `-daemonize`, so setup errors come back synchronously and the VM
 * then runs in its own session, surviving the daemon. Stop escalates: ACPI power button
 * over QMP, `quit` after the grace period, then SIGKILL. Everything is rebuilt from the
 * directory and the process table, which is what lets a restarted daemon adopt a VM
 * (and its agent's SSH master and mounts) without rebooting it.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as LimaTemplate from "../domain/LimaTemplate.js"
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
import * as Agents from "./qemu/Agents.js"
import { diskFormat } from "./qemu/DiskFormat.js"
import * as GuestAccess from "./qemu/GuestAccess.js"
import * as HostAgent from "./qemu/HostAgent.js"
import * as Virtiofsd from "./qemu/Virtiofsd.js"
import * as VmDisk from "./qemu/VmDisk.js"
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
  /** the image download cache's root (RDD_CACHE_DIR, else <cacheDir>) */
  readonly imageCacheDir?: string
  /** the host user, for the guest user's defaults */
  readonly hostUser?: GuestAccess.HostUser
}

/** Lima's instance-name rule; the name is a directory and part of the QMP socket path. */
const namePattern = /^[A-Za-z0-9]+(?:[._-][A-Za-z0-9]+)*$/
/** How often the serial log is checked for the readiness line while a guest boots. */
const ReadyPollInterval = Duration.millis(50)
const DefaultGrace = Duration.seconds(10)
const SetupTimeoutMillis = 30_000

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e))

/** One timestamped line to the host agent's log; logging must never fail a VM. */
const appendLine = (file: string, line: string): void => {
  try {
    fs.appendFileSync(file, `${new Date().toISOString()} ${line}\n`, { mode: 0o600 })
  } catch {
    // the instance directory is gone (deleted VM)
  }
}

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

/** Kernel-only guests that announce boot on the console (rdd.readyLine) get no seed, network or agent. */
const isConsoleGuest = (t: LimaTemplate.LimaTemplate): boolean => t.readyLine !== undefined

/** A free port on 127.0.0.1 for the guest's SSH (QEMU binds it right after; a lost race fails the start, which is retried). */
const freePort = Effect.async<number, string>((resume) => {
  const server = net.createServer()
  server.once("error", (e) => resume(Effect.fail(`cannot find a free port for SSH: ${e.message}`)))
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

export const make = (options: QemuDriverOptions) =>
  Effect.gen(function*() {
    const processes: ProcessManagerShape = yield* ProcessManager
    const agents = yield* Agents.make
    const hostUser = options.hostUser ?? { username: os.userInfo().username, uid: os.userInfo().uid }
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
        removeQuietly(files(name).readyPid)
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
        const template = loadTemplate(name)
        if (Either.isLeft(template) || isConsoleGuest(template.right)) {
          return checkReady(name, pid) ? { _tag: "Running", pid } as const : { _tag: "Starting", pid } as const
        }
        const port = GuestAccess.readPort(files(name))
        const ssh = port === undefined ? {} : { sshLocalPort: port }
        const agent = agents.current(name)
        // ready once for this QEMU: a daemon that re-attaches (or an agent that reconnects) keeps it Running
        if (agent?._tag === "Ready" || readText(files(name).readyPid)?.trim() === String(pid)) return { _tag: "Running", pid, ...ssh } as const
        const detail = agent === undefined ? "waiting for the host agent" : agent._tag === "Waiting" ? agent.detail : agent.message
        return { _tag: "Starting", pid, detail, ...ssh } as const
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

    const create = Effect.fn("QemuDriver.create")(function*(spec: VmSpec, onProgress?: (text: string) => void) {
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
      if (!isConsoleGuest(t) && Buffer.byteLength(f.sshControl) + 17 > QemuArgs.MaxSocketPath) {
        return yield* fail(`the SSH control socket path ${f.sshControl} is too long for a unix socket; use a shorter VM name`)
      }
      yield* VmDisk.prepare(image, t.guest.diskBytes, f, {
        cacheDir: options.imageCacheDir ?? options.cacheDir,
        home: options.home,
        ...(onProgress === undefined ? {} : { onProgress })
      }).pipe(Effect.mapError(fail))
      if (!isConsoleGuest(t)) yield* GuestAccess.ensureKey(f).pipe(Effect.mapError(fail))
      yield* Effect.try({
        try: () => writeFileAtomicSync(f.template, spec.templateText, 0o600),
        catch: (e) => fail(`cannot write ${f.template}: ${errorText(e)}`)
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
      // what create resolved (an instance from before boot.json existed is prepared now)
      const boot = VmDisk.read(f) ??
        (yield* VmDisk.prepare(image, t.guest.diskBytes, f, { cacheDir: options.imageCacheDir ?? options.cacheDir, home: options.home }).pipe(
          Effect.mapError(fail)
        ))
      const { kernel, initrd } = boot
      for (const [what, p] of [["kernel", kernel], ["initrd", initrd]] as const) {
        if (p !== undefined && !exists(p)) return yield* fail(`${what} file ${JSON.stringify(p)} does not exist`)
      }
      // a VM that died on its own left its agent, SSH master and mounts aimed at the old boot
      yield* agents.stop(name)
      if (!isConsoleGuest(t)) yield* GuestAccess.teardown(f, t, options.home)
      const shares = isConsoleGuest(t) ? [] : HostAgent.resolveMounts(t.guest.mounts, options.home, t.guest.mountType)
      const virtiofs: Array<{ tag: string; socket: string }> = []
      for (const [i, m] of shares.entries()) {
        if (m.type !== "virtiofs") continue
        const socket = `${f.dir}/vfs.${i}.sock`
        yield* Virtiofsd.serve(socket, m.location, `${f.dir}/virtiofsd.${i}.log`, `${f.dir}/virtiofsd.${i}.pid`).pipe(
          Effect.mapError((message) => fail(`cannot share ${m.location} with virtiofs: ${message}`))
        )
        virtiofs.push({ tag: m.tag, socket })
      }
      const ninep = shares.filter((m) => m.type === "9p").map((m) => ({ tag: m.tag, path: m.location, readonly: !m.writable }))
      const network = isConsoleGuest(t) ? undefined : yield* Effect.gen(function*() {
        const sshLocalPort = t.guest.ssh.localPort !== 0 ? t.guest.ssh.localPort : yield* Effect.mapError(freePort, fail)
        yield* GuestAccess.prepareStart(f, name, t, sshLocalPort, options.home, hostUser).pipe(Effect.mapError(fail))
        return { sshLocalPort, mac: QemuArgs.macFor(name) }
      })
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
          ...(exists(f.disk) ? { disk: { path: f.disk, format: diskFormat(f.disk) } } : {}),
          ...(network === undefined ? {} : { seed: f.seed, network }),
          ...(virtiofs.length === 0 ? {} : { virtiofs }),
          ...(ninep.length === 0 ? {} : { ninep })
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
      yield* Effect.logDebug(`VM ${name}: QEMU pid ${pid}, accel ${accel.accel} (${accel.reason})${network === undefined ? "" : `, SSH on 127.0.0.1:${network.sshLocalPort}`}`)
      if (network !== undefined) yield* startAgent(name, t)
      return { pid }
    })

    const stoppedBeforeBoot = (name: string) => {
      const last = scans.get(name)?.pid
      return new StartFailed({
        name,
        message: `the VM${last === undefined ? "" : ` (QEMU pid ${last})`} stopped before its guest signalled boot${diagnostics(name)}`
      })
    }

    /** The host agent of a running Lima-style guest (idempotent: a running agent is kept). */
    const startAgent = (name: string, t: LimaTemplate.LimaTemplate) =>
      agents.ensure(name, () => {
        const f = files(name)
        const target = GuestAccess.target(f, name, GuestAccess.readUser(f) ?? GuestAccess.guestUser(t.guest, hostUser).name, GuestAccess.readPort(f) ?? 0)
        return {
          ops: GuestAccess.sshOps(target, f),
          config: {
            guest: t.guest,
            home: options.home,
            log: (line: string) => Effect.sync(() => appendLine(f.agentLog, line))
          }
        }
      })

    const awaitRunning = (name: string, onChange: Effect.Effect<void> = Effect.void): Effect.Effect<void, StartFailed> =>
      Effect.gen(function*() {
        const template = loadTemplate(name)
        if (Either.isRight(template) && !isConsoleGuest(template.right)) {
          const pid = yield* livePid(name)
          if (pid === undefined) return yield* stoppedBeforeBoot(name)
          yield* startAgent(name, template.right)
          const gone = Effect.zipRight(processes.awaitExit(pid), Effect.fail(stoppedBeforeBoot(name)))
          const ready = agents.awaitReady(name, onChange).pipe(
            Effect.mapError((message) => new StartFailed({ name, message })),
            Effect.tap(() => Effect.sync(() => writeFileAtomicSync(files(name).readyPid, `${pid}\n`, 0o600)))
          )
          return yield* Effect.raceFirst(ready, gone)
        }
        return yield* poll(
          Effect.gen(function*() {
            const pid = yield* livePid(name)
            if (pid === undefined) return yield* stoppedBeforeBoot(name)
            return checkReady(name, pid) ? Option.some(undefined) : Option.none()
          }),
          ReadyPollInterval
        )
      }).pipe(Effect.withSpan("QemuDriver.awaitRunning", { attributes: { name } }))

    const awaitExit = (name: string): Effect.Effect<void> =>
      Effect.flatMap(livePid(name), (pid) => (pid === undefined ? Effect.void : processes.awaitExit(pid)))

    /** Waits at most `limit` for the pid to go; true when it went. */
    const exitedWithin = (pid: number, limit: Duration.Duration) =>
      processes.awaitExit(pid).pipe(Effect.timeoutOption(limit), Effect.map(Option.isSome))

    const stopUnlocked = Effect.fn("QemuDriver.stop")(function*(name: string, stopOptions?: { readonly grace?: Duration.DurationInput }) {
      const f = files(name)
      yield* agents.stop(name)
      const template = loadTemplate(name)
      if (Either.isRight(template) && !isConsoleGuest(template.right)) yield* GuestAccess.teardown(f, template.right, options.home)
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
      const template = loadTemplate(name)
      if (Either.isRight(template) && !isConsoleGuest(template.right)) {
        // re-attach: the agent finds the detached SSH master and mounts still there
        yield* startAgent(name, template.right)
        return yield* status(name)
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
      create: (spec, onProgress) => serialized(spec.name)(create(spec, onProgress)),
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

/** The qemu driver as a layer: its agents and per-VM fibers end with the layer's scope. */
export const layer = (options: QemuDriverOptions): Layer.Layer<VmDriver, never, ProcessManager> => Layer.scoped(VmDriver, make(options))
