/**
 * The host agent of one running VM (Lima's hostagent, as a fiber of the daemon):
 * decides readiness the way Lima does — SSH answers, the seed's boot script has
 * finished (and cloud-init, where the guest has it), then the template's mounts
 * and readiness probes — and then keeps the template's forwards: unix sockets
 * and fixed ports at once, port ranges as guest listeners come and go (read from
 * /proc/net/tcp over the SSH control master). Everything goes through `SshOps`,
 * so the agent is tested without a guest. Its state is a SubscriptionRef that
 * the driver's `awaitRunning` and `status` read; it never writes the API.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as Data from "effect/Data"
import type { GuestConfig, Mount, MountType } from "../../domain/limavm/GuestConfig.js"
import * as Rules from "../../domain/limavm/PortForwardRules.js"
import { poll } from "../../services/Wait.js"

export class AgentSshError extends Data.TaggedError("AgentSshError")<{ readonly message: string }> {}

export interface SshResult {
  readonly exitCode: number
  readonly stdout: string
  readonly stderr: string
}

/** What the agent needs from SSH; the driver implements it with OpenSSH. */
export interface SshOps {
  /** runs a shell command as the guest user (one connection, or the control master when up) */
  readonly run: (command: string, options?: { readonly stdin?: string; readonly timeout?: Duration.DurationInput }) => Effect.Effect<SshResult, AgentSshError>
  readonly masterUp: Effect.Effect<boolean>
  readonly startMaster: Effect.Effect<void, AgentSshError>
  readonly forwardTcp: (host: Rules.HostAddress, guest: Rules.Listener) => Effect.Effect<void, AgentSshError>
  readonly cancelTcp: (host: Rules.HostAddress, guest: Rules.Listener) => Effect.Effect<void, AgentSshError>
  readonly forwardSocket: (hostSocket: string, guestSocket: string) => Effect.Effect<void, AgentSshError>
  /** reverse-sshfs: the host directory served to the guest at mountPoint */
  readonly mount: (mount: ResolvedMount) => Effect.Effect<void, AgentSshError>
}

export interface ResolvedMount {
  readonly location: string
  readonly mountPoint: string
  readonly writable: boolean
  readonly type: MountType
  /** virtiofs and 9p: the tag QEMU gave the share */
  readonly tag: string
}

export type AgentState = Data.TaggedEnum<{
  /** not ready yet; `detail` says what is awaited (shown in the Running condition) */
  Waiting: { readonly detail: string }
  Ready: object
  /** readiness can never come without a change (a provision script failed) */
  Failed: { readonly message: string }
}>
export const AgentState = Data.taggedEnum<AgentState>()

export interface AgentConfig {
  readonly guest: GuestConfig
  /** `~` in mount locations and host sockets */
  readonly home: string
  /** one line to the agent's log (`ha.log`) */
  readonly log: (line: string) => Effect.Effect<void>
  readonly intervals?: { readonly ssh?: Duration.DurationInput; readonly boot?: Duration.DurationInput; readonly probe?: Duration.DurationInput; readonly ports?: Duration.DurationInput }
}

/**
 * Printed by the guest: the boot script's verdict and cloud-init's state (when it has
 * cloud-init). `cloud-init status` is a Python program, costly under TCG, so it runs only
 * once the boot script is done (it runs in cloud-init's last stage); before that the
 * guest only says that cloud-init is still running.
 */
export const ReadinessScript = [
  "if [ -e /run/rdd/boot-done ]; then",
  "  echo \"boot: $(cat /run/rdd/boot-done)\"",
  "  if command -v cloud-init >/dev/null 2>&1; then echo \"cloud-init: $(cloud-init status 2>/dev/null | sed -n 's/^status: //p')\"; fi",
  "else",
  "  echo 'boot: pending'",
  "  if command -v cloud-init >/dev/null 2>&1; then echo 'cloud-init: running'; fi",
  "fi"
].join("\n")

export type BootVerdict =
  | { readonly _tag: "Pending"; readonly detail: string }
  | { readonly _tag: "Done" }
  | { readonly _tag: "Failed"; readonly message: string }

/** Reads ReadinessScript's output. */
export const bootVerdict = (stdout: string): BootVerdict => {
  const field = (name: string): string | undefined =>
    stdout.split("\n").find((l) => l.startsWith(`${name}:`))?.slice(name.length + 1).trim()
  const boot = field("boot") ?? "pending"
  const cloudInit = field("cloud-init")
  if (boot.startsWith("failed")) return { _tag: "Failed", message: `provisioning failed: ${boot.slice("failed".length).trim()}` }
  if (cloudInit === "error" || cloudInit === "degraded") {
    return { _tag: "Failed", message: `cloud-init reported ${JSON.stringify(cloudInit)}; see "cloud-init status --long" in the guest` }
  }
  if (boot !== "ok") return { _tag: "Pending", detail: cloudInit === undefined ? "waiting for the boot scripts" : `waiting for cloud-init (${cloudInit === "" ? "starting" : cloudInit})` }
  if (cloudInit !== undefined && cloudInit !== "done" && cloudInit !== "disabled") {
    return { _tag: "Pending", detail: `waiting for cloud-init (${cloudInit === "" ? "starting" : cloudInit})` }
  }
  return { _tag: "Done" }
}

const expandHome = (p: string, home: string): string => (p === "~" ? home : p.startsWith("~/") ? `${home}${p.slice(1)}` : p)

/** The i-th share's tag for virtiofs and 9p (QemuArgs gives QEMU the same). */
export const shareTag = (index: number): string => `rdd-mount${index}`

export const resolveMounts = (mounts: ReadonlyArray<Mount>, home: string, type: MountType): ReadonlyArray<ResolvedMount> =>
  mounts.map((m, i) => {
    const location = expandHome(m.location, home)
    return {
      location,
      mountPoint: m.mountPoint === undefined ? location : expandHome(m.mountPoint, home),
      writable: m.writable,
      type,
      tag: shareTag(i)
    }
  })

/** Runs a probe script with the interpreter its shebang names (sh otherwise), as Lima does. */
const ProbeRunner = "f=$(mktemp) && cat > \"$f\" && chmod +x \"$f\" && if head -c 2 \"$f\" | grep -q '#!'; then \"$f\"; else sh \"$f\"; fi; rc=$?; rm -f \"$f\"; exit $rc"

/**
 * Runs until interrupted: readiness first, then the forwards. Fails only when SSH
 * breaks after readiness (the supervisor restarts it); a readiness failure is a
 * state, not an error, because retrying cannot fix a failed provision script.
 */
export const run = (ssh: SshOps, config: AgentConfig, state: SubscriptionRef.SubscriptionRef<AgentState>): Effect.Effect<void, AgentSshError> =>
  Effect.gen(function*() {
    const every = (d: Duration.DurationInput | undefined, fallback: Duration.DurationInput) => d ?? fallback
    const intervals = config.intervals ?? {}
    const set = (s: AgentState) => SubscriptionRef.set(state, s)

    yield* set(AgentState.Waiting({ detail: "waiting for SSH" }))
    yield* poll(
      ssh.run("true", { timeout: "10 seconds" }).pipe(
        Effect.map((r) => (r.exitCode === 0 ? Option.some(undefined) : Option.none())),
        Effect.catchAll(() => Effect.succeed(Option.none()))
      ),
      every(intervals.ssh, "500 millis")
    )
    yield* config.log("SSH answers")
    if (!(yield* ssh.masterUp)) yield* ssh.startMaster
    yield* config.log("SSH control master is up")

    const verdict = yield* poll(
      ssh.run(ReadinessScript, { timeout: "20 seconds" }).pipe(
        Effect.map((r) => bootVerdict(r.stdout)),
        Effect.tap((v) => (v._tag === "Pending" ? set(AgentState.Waiting({ detail: v.detail })) : Effect.void)),
        Effect.map((v) => (v._tag === "Pending" ? Option.none() : Option.some(v))),
        Effect.catchAll(() => Effect.succeed(Option.none<BootVerdict>()))
      ),
      every(intervals.boot, "1 second")
    )
    if (verdict._tag === "Failed") {
      const tail = yield* ssh.run("sudo -n tail -n 20 /var/log/rdd-provision.log 2>/dev/null || tail -n 20 /var/log/rdd-provision.log", { timeout: "10 seconds" }).pipe(
        Effect.map((r) => r.stdout.trim()),
        Effect.orElseSucceed(() => "")
      )
      const message = `${verdict.message}${tail === "" ? "" : `; last lines of /var/log/rdd-provision.log:\n${tail}`}`
      yield* config.log(message)
      yield* set(AgentState.Failed({ message }))
      return yield* Effect.never
    }
    yield* config.log("boot scripts finished")

    for (const m of resolveMounts(config.guest.mounts, config.home, config.guest.mountType)) {
      yield* set(AgentState.Waiting({ detail: `mounting ${m.location} on ${m.mountPoint}` }))
      const mounted = yield* Effect.either(ssh.mount(m))
      if (mounted._tag === "Left") {
        const message = `cannot mount ${m.location} on ${m.mountPoint} (${m.type}): ${mounted.left.message}`
        yield* config.log(message)
        yield* set(AgentState.Failed({ message }))
        return yield* Effect.never
      }
      yield* config.log(`mounted ${m.location} on ${m.mountPoint} (${m.writable ? "writable" : "read-only"}, ${m.type})`)
    }

    for (const probe of config.guest.probes) {
      const detail = `waiting for probe ${JSON.stringify(probe.description)}${probe.hint === undefined ? "" : `: ${probe.hint}`}`
      yield* set(AgentState.Waiting({ detail }))
      yield* poll(
        ssh.run(ProbeRunner, { stdin: probe.script, timeout: "60 seconds" }).pipe(
          Effect.map((r) => (r.exitCode === 0 ? Option.some(undefined) : Option.none())),
          Effect.catchAll(() => Effect.succeed(Option.none()))
        ),
        every(intervals.probe, "2 seconds")
      )
      yield* config.log(`probe ${JSON.stringify(probe.description)} passed`)
    }

    for (const f of config.guest.portForwards) {
      if (f.ignore || f.guestSocket === undefined || f.hostSocket === undefined) continue
      const hostSocket = expandHome(f.hostSocket, config.home)
      yield* ssh.forwardSocket(hostSocket, f.guestSocket).pipe(
        Effect.zipRight(config.log(`forwarding ${f.guestSocket} (guest) to ${hostSocket}`)),
        Effect.catchAll((e) => config.log(`cannot forward ${f.guestSocket} (guest) to ${hostSocket}: ${e.message}`))
      )
    }
    const open = new Map<string, Rules.Listener>()
    const key = (h: Rules.HostAddress) => `${h.hostIP}:${h.hostPort}`
    for (const { guest, host } of Rules.fixedForwards(config.guest.portForwards)) {
      yield* ssh.forwardTcp(host, guest).pipe(
        Effect.zipRight(Effect.sync(() => open.set(key(host), guest))),
        Effect.zipRight(config.log(`forwarding ${guest.ip}:${guest.port} (guest) to ${key(host)}`)),
        Effect.catchAll((e) => config.log(`cannot forward ${guest.ip}:${guest.port} (guest) to ${key(host)}: ${e.message}`))
      )
    }
    const fixed = new Set(open.keys())

    yield* set(AgentState.Ready())
    yield* config.log("ready")
    yield* followListeners(ssh, config, open, fixed, key, every(intervals.ports, "3 seconds"))
  })

/** Forwards guest listeners that the rules map to the host, and cancels those that went away. */
const followListeners = (
  ssh: SshOps,
  config: AgentConfig,
  open: Map<string, Rules.Listener>,
  fixed: ReadonlySet<string>,
  key: (h: Rules.HostAddress) => string,
  interval: Duration.DurationInput
): Effect.Effect<never, AgentSshError> => {
  const failedBefore = new Set<string>()
  const round = Effect.gen(function*() {
    if (!(yield* ssh.masterUp)) return yield* new AgentSshError({ message: "the SSH control master went away" })
    const r = yield* ssh.run("cat /proc/net/tcp /proc/net/tcp6 2>/dev/null", { timeout: "10 seconds" })
    const wanted = new Map<string, { readonly host: Rules.HostAddress; readonly guest: Rules.Listener }>()
    for (const l of Rules.parseProcNetTcp(r.stdout)) {
      const host = Rules.hostAddressFor(config.guest.portForwards, l)
      // a listener on all addresses is reached through the guest's loopback
      if (host !== undefined) wanted.set(key(host), { host, guest: { ip: l.ip === "0.0.0.0" || l.ip === "::" ? "127.0.0.1" : l.ip, port: l.port } })
    }
    for (const [k, { host, guest }] of wanted) {
      if (open.has(k) || failedBefore.has(k)) continue
      yield* ssh.forwardTcp(host, guest).pipe(
        Effect.zipRight(Effect.sync(() => open.set(k, guest))),
        Effect.zipRight(config.log(`forwarding ${guest.ip}:${guest.port} (guest) to ${k}`)),
        Effect.catchAll((e) => Effect.zipRight(Effect.sync(() => failedBefore.add(k)), config.log(`cannot forward ${guest.ip}:${guest.port} (guest) to ${k}: ${e.message}`)))
      )
    }
    for (const [k, guest] of open) {
      if (wanted.has(k) || fixed.has(k)) continue
      const [hostIP, port] = [k.slice(0, k.lastIndexOf(":")), Number(k.slice(k.lastIndexOf(":") + 1))]
      yield* ssh.cancelTcp({ hostIP, hostPort: port }, guest).pipe(Effect.catchAll(() => Effect.void))
      open.delete(k)
      yield* config.log(`stopped forwarding ${guest.ip}:${guest.port} (guest) to ${k}: nothing listens there any more`)
    }
    for (const k of failedBefore) if (!wanted.has(k)) failedBefore.delete(k)
  })
  return Effect.forever(Effect.zipRight(round, Effect.sleep(interval)))
}
