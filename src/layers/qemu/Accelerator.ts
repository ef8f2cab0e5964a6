/**
 * Which QEMU accelerator to use, decided without ever hanging (reference/qemu-guest.md
 * section 6): KVM can exist and initialise yet hang the first vCPU under nested
 * virtualisation, so `/dev/kvm` alone proves nothing. Cheap host facts settle most
 * hosts in a millisecond; otherwise one bounded probe boot (SIGKILL after 5 s) of the
 * VM's own kernel decides, and the verdict is cached per kernel release, QEMU version
 * and /dev/kvm presence. `RDD_QEMU_ACCEL` (kvm|hvf|tcg) overrides everything.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { execFile, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import type { Accel } from "./QemuArgs.js"

export interface Verdict {
  readonly accel: Accel
  readonly reason: string
}

export interface HostFacts {
  readonly platform: string
  /** process.arch: the vmx/svm and vendor-module checks are x86 facts */
  readonly arch: string
  /** /dev/kvm opens read-write */
  readonly kvmDevice: boolean
  /** /proc/cpuinfo flags include vmx or svm */
  readonly virtFlags: boolean
  /** /sys/module/kvm_intel or /sys/module/kvm_amd exists */
  readonly kvmVendorModule: boolean
  /** macOS: sysctl kern.hv_support = 1 */
  readonly hvfSupport: boolean
}

/** Step 1–2 of the detection: a verdict, or "probe" when only a boot can tell. */
export const classify = (facts: HostFacts): Verdict | "probe" => {
  if (facts.platform === "darwin") {
    return facts.hvfSupport ? { accel: "hvf", reason: "kern.hv_support=1" } : { accel: "tcg", reason: "no Hypervisor.framework support" }
  }
  if (facts.platform !== "linux") return { accel: "tcg", reason: `no accelerator known for ${facts.platform}` }
  if (!facts.kvmDevice) return { accel: "tcg", reason: "/dev/kvm is missing or not read-write" }
  if (facts.arch !== "x64") return "probe"
  if (!facts.virtFlags) return { accel: "tcg", reason: "the CPU has no vmx/svm flag (nested KVM would hang)" }
  if (!facts.kvmVendorModule) return { accel: "tcg", reason: "neither kvm_intel nor kvm_amd is loaded" }
  return "probe"
}

export const parseOverride = (value: string | undefined): Either.Either<Accel | undefined, string> => {
  if (value === undefined || value === "") return Either.right(undefined)
  if (value === "kvm" || value === "hvf" || value === "tcg") return Either.right(value)
  return Either.left(`RDD_QEMU_ACCEL must be kvm, hvf or tcg; got ${JSON.stringify(value)}`)
}

export const hostFacts = (): HostFacts => {
  const platform = process.platform
  let kvmDevice = false
  let virtFlags = false
  let hvfSupport = false
  if (platform === "linux") {
    try {
      fs.closeSync(fs.openSync("/dev/kvm", "r+"))
      kvmDevice = true
    } catch {
      kvmDevice = false
    }
    try {
      const flags = fs.readFileSync("/proc/cpuinfo", "utf8").match(/^flags\s*:(.*)$/m)?.[1] ?? ""
      virtFlags = /\b(vmx|svm)\b/.test(flags)
    } catch {
      virtFlags = false
    }
  }
  const kvmVendorModule = platform === "linux" && (fs.existsSync("/sys/module/kvm_intel") || fs.existsSync("/sys/module/kvm_amd"))
  if (platform === "darwin") {
    try {
      hvfSupport = sysctl("kern.hv_support") === "1"
    } catch {
      hvfSupport = false
    }
  }
  return { platform, arch: process.arch, kvmDevice, virtFlags, kvmVendorModule, hvfSupport }
}

/** macOS only, once per daemon: a synchronous call keeps the facts a plain value. */
const sysctl = (key: string): string =>
  execFileSync("/usr/sbin/sysctl", ["-n", key], { encoding: "utf8", timeout: 2000, stdio: ["ignore", "pipe", "ignore"] }).trim()

export const ProbeTimeoutMillis = 5000

/**
 * Boots `kernel` once under KVM with no root file system: a working KVM prints the
 * kernel banner and panics (QEMU exits at once thanks to panic=-1 -no-reboot); a
 * hanging one prints nothing and is killed after 5 s.
 */
export const probeKvm = (
  qemu: string,
  kernel: string,
  timeoutMillis: number = ProbeTimeoutMillis,
  guestArch: "x86_64" | "aarch64" = "x86_64"
): Effect.Effect<Verdict> =>
  Effect.async<Verdict>((resume) => {
    const [machine, tty] = guestArch === "aarch64" ? ["virt", "ttyAMA0"] : ["pc", "ttyS0"]
    const child = spawn(qemu, [
      "-nodefaults", "-no-user-config", "-display", "none", "-machine", machine, "-accel", "kvm", "-cpu", "host",
      "-m", "128", "-kernel", kernel, "-append", `console=${tty} panic=-1 root=/dev/null`, "-serial", "stdio", "-no-reboot"
    ], { stdio: ["ignore", "pipe", "pipe"] })
    let out = ""
    child.stdout.on("data", (d: Buffer) => {
      if (out.length < 65536) out += d.toString("utf8")
    })
    child.stderr.resume()
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMillis)
    let settled = false
    child.once("error", (e) => {
      clearTimeout(timer)
      if (settled) return
      settled = true
      resume(Effect.succeed({ accel: "tcg", reason: `KVM probe could not run ${qemu}: ${e.message}` }))
    })
    // "close", not "exit": the verdict reads the console output, complete only once stdout closed.
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      if (settled) return
      settled = true
      const booted = /Linux version|Kernel panic/.test(out)
      resume(Effect.succeed(
        code === 0 && booted
          ? { accel: "kvm", reason: "a KVM probe boot reached the kernel" }
          : { accel: "tcg", reason: signal === "SIGKILL" ? `a KVM probe boot hung (killed after ${timeoutMillis}ms)` : `a KVM probe boot failed (exit ${code ?? signal})` }
      ))
    })
    return Effect.sync(() => {
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })

const qemuVersion = (qemu: string): Effect.Effect<string> =>
  Effect.async<string>((resume) => {
    execFile(qemu, ["--version"], { timeout: 5000 }, (err, stdout) =>
      resume(Effect.succeed(err ? "unknown" : (stdout.split("\n")[0] ?? "unknown"))))
  })

export interface DetectOptions {
  readonly override: string | undefined
  readonly qemu: string
  /** a kernel the probe can boot; without one a host that passes the cheap checks uses KVM */
  readonly probeKernel: string | undefined
  readonly cacheFile: string
  readonly facts?: HostFacts
  /** the guest's arch, for the probe's machine type */
  readonly guestArch?: "x86_64" | "aarch64"
}

/** The verdict for this host, or an error message for a bad override. */
export const detect = (options: DetectOptions): Effect.Effect<Verdict, string> =>
  Effect.gen(function*() {
    const override = parseOverride(options.override)
    if (Either.isLeft(override)) return yield* Effect.fail(override.left)
    if (override.right !== undefined) return { accel: override.right, reason: "RDD_QEMU_ACCEL" }
    const facts = options.facts ?? hostFacts()
    const cheap = classify(facts)
    if (cheap !== "probe") return cheap
    if (options.probeKernel === undefined) return { accel: "kvm", reason: "vmx/svm and a KVM vendor module are present" }
    const key = `${os.release()}|${yield* qemuVersion(options.qemu)}|kvm=${facts.kvmDevice}`
    const cached = readCache(options.cacheFile, key)
    if (cached !== undefined) return cached
    const verdict = yield* probeKvm(options.qemu, options.probeKernel, ProbeTimeoutMillis, options.guestArch)
    writeCache(options.cacheFile, key, verdict)
    return verdict
  })

const readCache = (file: string, key: string): Verdict | undefined => {
  try {
    const c = JSON.parse(fs.readFileSync(file, "utf8")) as { key?: unknown; accel?: unknown; reason?: unknown }
    if (c.key === key && (c.accel === "kvm" || c.accel === "tcg") && typeof c.reason === "string") {
      return { accel: c.accel, reason: `${c.reason} (cached)` }
    }
  } catch {
    // no cache yet, or a corrupt one: probe again
  }
  return undefined
}

const writeCache = (file: string, key: string, verdict: Verdict): void => {
  try {
    fs.mkdirSync(file.slice(0, file.lastIndexOf("/")), { recursive: true, mode: 0o700 })
    const tmp = `${file}.${process.pid}.tmp`
    fs.writeFileSync(tmp, JSON.stringify({ key, ...verdict }), { mode: 0o600 })
    fs.renameSync(tmp, file)
  } catch {
    // the cache is an optimisation; the next start probes again
  }
}
