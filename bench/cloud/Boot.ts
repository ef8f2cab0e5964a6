/**
 * One first boot of the cloud guest, timed two ways from QEMU's start: through
 * rdd (`limavm create --start`, origin = mtime of the qemu.pid QEMU writes as it
 * starts, SSH = the host agent's "SSH answers" line in ha.log, ready = when the
 * create command returned) and by bare QEMU with the same flags
 * (scripts/guest/measure-cloud-boot.sh: origin = its QEMU spawn, SSH = first
 * `ssh … true` that succeeds, ready = cloud-init done + /run/rdd/boot-done).
 */
import { spawnSync } from "node:child_process"
import { readFileSync, statSync } from "node:fs"
import * as path from "node:path"
import { Effect } from "effect"
import { repoRoot, timeRun } from "../Proc.js"
import { type CloudInstance, readPid } from "./Instance.js"

export interface BootTimes {
  /** seconds from QEMU start to SSH answering */
  readonly ssh: number
  /** seconds from QEMU start to ready */
  readonly ready: number
  readonly extra: Readonly<Record<string, unknown>>
}

const lastLine = (s: string): string => s.trim().split("\n").slice(-1)[0] ?? ""
const secs = (ms: number) => Math.round(ms / 100) / 10

/** The ISO time of the first ha.log line that is exactly `what`. */
export const agentTime = (log: string, what: string): number | undefined => {
  for (const line of log.split("\n")) {
    const i = line.indexOf(" ")
    if (i > 0 && line.slice(i + 1) === what) return Date.parse(line.slice(0, i))
  }
  return undefined
}

export const throughRdd = (rdd: CloudInstance, vm: string, template: string): Effect.Effect<BootTimes, Error> =>
  Effect.gen(function*() {
    const f = rdd.files(vm)
    rdd.own(vm)
    const calledAt = Date.now()
    const r = timeRun(rdd.argv("limavm", "create", vm, template, "--start", "--timeout=15m"), { env: rdd.env, timeoutMs: 16 * 60_000 })
    const returnedAt = Date.now()
    const qemuPid = readPid(f.pid)
    rdd.own(vm, qemuPid)
    if (r.code !== 0) return yield* Effect.fail(new Error(`limavm create ${vm} --start: exit ${r.code}: ${lastLine(r.stderr)}`))
    const qemuStart = statSync(f.pid).mtimeMs
    const agentLog = readFileSync(f.agentLog, "utf8")
    const sshAt = agentTime(agentLog, "SSH answers")
    if (sshAt === undefined) return yield* Effect.fail(new Error(`${f.agentLog} has no "SSH answers" line`))
    let qemuArgv: ReadonlyArray<string> = []
    try {
      qemuArgv = readFileSync(`/proc/${qemuPid}/cmdline`, "utf8").split("\0").filter((s) => s !== "")
    } catch {
      // QEMU already gone: the figures stand without its argv
    }
    yield* rdd.remove(vm)
    return {
      ssh: (sshAt - qemuStart) / 1000,
      ready: (returnedAt - qemuStart) / 1000,
      extra: {
        createCommandS: secs(returnedAt - calledAt),
        createToQemuStartS: secs(qemuStart - calledAt),
        agentLog: agentLog.trim().split("\n"),
        qemuArgv
      }
    }
  })

/** The flags measure-cloud-boot.sh passes, for the report. */
const scriptQemuLine = (): string => {
  const text = readFileSync(path.join(repoRoot, "scripts", "guest", "measure-cloud-boot.sh"), "utf8")
  const start = text.indexOf("  qemu-system-x86_64 ")
  const end = text.indexOf(" &\n", start)
  return start < 0 || end < 0 ? "" : text.slice(start, end).replace(/\\\n\s*/g, "").trim()
}

export const bare = (template: string): Effect.Effect<BootTimes, Error> =>
  Effect.gen(function*() {
    const script = path.join(repoRoot, "scripts", "guest", "measure-cloud-boot.sh")
    const r = spawnSync("bash", [script, template, "1"], { encoding: "utf8", timeout: 16 * 60_000, killSignal: "SIGTERM" })
    const row = (r.stdout ?? "").trim().split("\n")[1]?.split("\t") ?? []
    const [, serial, ssh, ready, , off] = row
    const stderr = r.stderr ?? ""
    if (r.status !== 0 || ssh === undefined || ready === undefined) {
      return yield* Effect.fail(new Error(`measure-cloud-boot.sh: exit ${r.status}: ${lastLine(stderr)}`))
    }
    if (/no SSH within/.test(stderr) || !/status: done/.test(stderr)) {
      return yield* Effect.fail(new Error(`bare QEMU boot did not become ready: ${lastLine(stderr)}`))
    }
    return {
      ssh: Number(ssh),
      ready: Number(ready),
      extra: { serialS: Number(serial), powerOffS: Number(off), qemuCommand: scriptQemuLine() }
    }
  })
