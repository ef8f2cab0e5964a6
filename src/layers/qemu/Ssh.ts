/**
 * OpenSSH to a guest the way Lima does it: the per-instance key, no host-key checking
 * (the guest's host key changes with every new instance and lives behind 127.0.0.1),
 * never the user's own ssh config (`-F /dev/null`), and one control master per VM that
 * every command and forward goes through. The master is started detached with
 * ControlPersist, so it outlives the daemon that started it and a restarted daemon finds
 * it again by its control socket. Every operation is bounded and its ssh child is killed
 * when the operation is interrupted.
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { exec, type ExecResult, lastLines } from "./Exec.js"

export type SshFailure = "missing" | "spawn" | "timeout" | "failed" | "io"

export class SshError extends Data.TaggedError("SshError")<{
  readonly reason: SshFailure
  readonly message: string
}> {}

export interface SshTarget {
  /** the forwarded SSH port lives on the host's loopback: "127.0.0.1" */
  readonly host: string
  readonly port: number
  readonly user: string
  readonly identityFile: string
  /** the control master's socket, e.g. `<vm dir>/ssh.sock` */
  readonly controlPath: string
  /** the Host name in ssh.config, `lima-<name>` */
  readonly alias: string
}

export type ForwardSpec =
  | { readonly _tag: "Tcp"; readonly hostIP: string; readonly hostPort: number; readonly guestIP: string; readonly guestPort: number }
  | { readonly _tag: "Socket"; readonly hostSocket: string; readonly guestSocket: string }

const ControlTimeoutMillis = 10_000
const DefaultMasterTimeout = Duration.seconds(30)
/** sun_path is 108 bytes; ssh binds `<ControlPath>.<16 random chars>` first, then renames it */
const MaxControlPath = 107 - 17

/** A config value: `%` is ssh's token escape; quotes keep spaces inside one value. */
const pathValue = (p: string): string => {
  const escaped = p.replace(/%/g, "%%")
  return /[\s"\\]/.test(escaped) ? `"${escaped.replace(/[\\"]/g, (c) => `\\${c}`)}"` : escaped
}

const options = (t: SshTarget): ReadonlyArray<readonly [string, string]> => [
  ["IdentityFile", pathValue(t.identityFile)],
  ["IdentitiesOnly", "yes"],
  ["StrictHostKeyChecking", "no"],
  ["UserKnownHostsFile", "/dev/null"],
  ["NoHostAuthenticationForLocalhost", "yes"],
  ["GSSAPIAuthentication", "no"],
  ["PreferredAuthentications", "publickey"],
  ["Compression", "no"],
  ["BatchMode", "yes"],
  ["LogLevel", "ERROR"],
  ["ConnectTimeout", "10"],
  ["ServerAliveInterval", "5"],
  ["ServerAliveCountMax", "4"],
  // the master binds forwarded unix sockets, so it is the one that needs this
  ["StreamLocalBindUnlink", "yes"],
  ["ControlPath", pathValue(t.controlPath)]
]

/**
 * ssh's arguments up to and including the destination; append the remote command. The
 * `--` before the destination stops ssh from reading a command that starts with `-` as options.
 */
export const sshArgs = (t: SshTarget, extra: ReadonlyArray<string> = []): ReadonlyArray<string> => [
  "-F", "/dev/null",
  ...options(t).flatMap(([k, v]) => ["-o", `${k}=${v}`]),
  "-p", String(t.port),
  "-l", t.user,
  ...extra,
  "--",
  t.host
]

/** `<vm dir>/ssh.config`: `ssh -F <file> <alias>` behaves like Lima's. */
export const sshConfigText = (t: SshTarget): string =>
  [
    `# rdd: ssh -F <this file> ${t.alias}`,
    `Host ${t.alias}`,
    `  Hostname ${t.host}`,
    `  Port ${t.port}`,
    `  User ${t.user}`,
    ...options(t).map(([k, v]) => `  ${k} ${v}`),
    "  ControlMaster auto",
    "  ControlPersist yes",
    ""
  ].join("\n")

/** POSIX single quoting, for a remote command given as words. */
export const shellQuote = (word: string): string => (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`)

const ssh = (args: ReadonlyArray<string>, timeoutMillis: number, stdin?: string | Uint8Array): Effect.Effect<ExecResult, SshError> =>
  exec("ssh", args, { timeoutMillis, stdin }).pipe(
    Effect.mapError((e) =>
      new SshError({ reason: e.reason, message: e.reason === "missing" ? "ssh is not installed (Debian package openssh-client)" : e.message }))
  )

const failure = (what: string, r: ExecResult): SshError =>
  new SshError({ reason: "failed", message: `${what} (exit ${r.exitCode ?? "by signal"}): ${lastLines(r.stderr) || "no output"}` })

export interface RunOptions {
  readonly stdin?: string | Uint8Array | undefined
  readonly timeout: Duration.DurationInput
}

/**
 * Runs a command in the guest (through the master when it is up). The exit status is the
 * remote command's; 255 is also how ssh reports that it could not connect.
 */
export const run = (
  target: SshTarget,
  command: string | ReadonlyArray<string>,
  options: RunOptions
): Effect.Effect<{ readonly exitCode: number; readonly stdout: string; readonly stderr: string }, SshError> => {
  const line = typeof command === "string" ? command : command.map(shellQuote).join(" ")
  return ssh([...sshArgs(target), line], Duration.toMillis(Duration.decode(options.timeout)), options.stdin).pipe(
    Effect.map((r) => ({ exitCode: r.exitCode ?? 255, stdout: r.stdout, stderr: r.stderr }))
  )
}

const control = (target: SshTarget, operation: ReadonlyArray<string>) =>
  ssh(sshArgs(target, operation), ControlTimeoutMillis)

/** The master's pid when it answers on its control socket. */
export const masterPid = (target: SshTarget): Effect.Effect<number | undefined, SshError> =>
  Effect.map(control(target, ["-O", "check"]), (r) => {
    if (r.exitCode !== 0) return undefined
    const m = /pid=(\d+)/.exec(r.stderr)
    return m === null ? 0 : Number(m[1])
  })

export const masterCheck = (target: SshTarget): Effect.Effect<boolean, SshError> =>
  Effect.map(masterPid(target), (pid) => pid !== undefined)

/** Ends the master (and with it every forward); nothing to do when none runs. */
export const masterExit = (target: SshTarget): Effect.Effect<void, SshError> =>
  Effect.gen(function*() {
    if (yield* masterCheck(target)) {
      const r = yield* control(target, ["-O", "exit"])
      if (r.exitCode !== 0) return yield* Effect.fail(failure(`stopping the ssh master on ${target.controlPath}`, r))
    }
    // ssh removes its socket on a clean exit; a killed master leaves it behind
    yield* Effect.sync(() => fs.rmSync(target.controlPath, { force: true }))
  })

/**
 * Starts the control master unless one already answers: `ssh -f -N -M` with
 * ControlPersist=yes, detached, its log in `<controlPath>.log`. Returns once ssh has
 * authenticated and gone to the background (bounded by `timeout`).
 */
export const masterStart = (target: SshTarget, timeout: Duration.DurationInput = DefaultMasterTimeout): Effect.Effect<void, SshError> =>
  Effect.gen(function*() {
    if (target.controlPath.length > MaxControlPath) {
      return yield* Effect.fail(new SshError({ reason: "io", message: `control socket path ${target.controlPath} is longer than ${MaxControlPath} bytes (the unix socket limit)` }))
    }
    if (yield* masterCheck(target)) return
    const log = `${target.controlPath}.log`
    yield* Effect.try({
      try: () => {
        fs.mkdirSync(path.dirname(target.controlPath), { recursive: true })
        // a stale socket (master killed) would make ssh give up multiplexing silently
        fs.rmSync(target.controlPath, { force: true })
        fs.writeFileSync(log, "")
      },
      catch: (e) => new SshError({ reason: "io", message: `preparing ${target.controlPath}: ${e instanceof Error ? e.message : String(e)}` })
    })
    const args = sshArgs(target, ["-o", "ControlMaster=yes", "-o", "ControlPersist=yes", "-E", log, "-f", "-N"])
    // no pipes: the backgrounded master keeps its stdio, which would hold ours open
    const r = yield* exec("ssh", args, { timeoutMillis: Duration.toMillis(Duration.decode(timeout)), stdio: "ignore" }).pipe(
      Effect.mapError((e) => new SshError({ reason: e.reason, message: e.message })),
      // interrupted after ssh forked: do not leave a master nobody knows about
      Effect.onInterrupt(() => Effect.ignore(masterExit(target)))
    )
    if (r.exitCode !== 0) {
      const detail = lastLines(fs.existsSync(log) ? fs.readFileSync(log, "utf8") : "")
      return yield* Effect.fail(new SshError({ reason: "failed", message: `ssh master to ${target.user}@${target.host}:${target.port} failed (exit ${r.exitCode ?? "by signal"}): ${detail || "no output"}` }))
    }
    if (!(yield* masterCheck(target))) {
      return yield* Effect.fail(new SshError({ reason: "failed", message: `ssh master to ${target.host}:${target.port} went to the background but does not answer on ${target.controlPath}` }))
    }
  })

const bracket = (ip: string) => (ip.includes(":") ? `[${ip}]` : ip)

/** The `-L` argument of a forward. */
export const forwardArg = (spec: ForwardSpec): string =>
  spec._tag === "Tcp"
    ? `${bracket(spec.hostIP)}:${spec.hostPort}:${bracket(spec.guestIP)}:${spec.guestPort}`
    : `${spec.hostSocket}:${spec.guestSocket}`

const describe = (spec: ForwardSpec) =>
  spec._tag === "Tcp" ? `${spec.hostIP}:${spec.hostPort} → guest ${spec.guestIP}:${spec.guestPort}` : `${spec.hostSocket} → guest ${spec.guestSocket}`

const checkSpec = (spec: ForwardSpec): Effect.Effect<void, SshError> =>
  spec._tag === "Socket" && (spec.hostSocket.includes(":") || spec.guestSocket.includes(":"))
    ? Effect.fail(new SshError({ reason: "io", message: `socket forward ${describe(spec)}: ssh cannot forward a socket path that contains ':'` }))
    : Effect.void

/** Adds a forward to the running master (`-O forward`). A host socket is left 0600. */
export const forward = (target: SshTarget, spec: ForwardSpec): Effect.Effect<void, SshError> =>
  Effect.gen(function*() {
    yield* checkSpec(spec)
    if (spec._tag === "Socket") {
      yield* Effect.try({
        try: () => fs.mkdirSync(path.dirname(spec.hostSocket), { recursive: true, mode: 0o700 }),
        catch: (e) => new SshError({ reason: "io", message: `creating the directory of ${spec.hostSocket}: ${e instanceof Error ? e.message : String(e)}` })
      })
    }
    const r = yield* control(target, ["-O", "forward", "-L", forwardArg(spec)])
    if (r.exitCode !== 0) return yield* Effect.fail(failure(`forwarding ${describe(spec)}`, r))
    if (spec._tag === "Socket") {
      yield* Effect.try({
        try: () => fs.chmodSync(spec.hostSocket, 0o600),
        catch: (e) => new SshError({ reason: "io", message: `securing ${spec.hostSocket}: ${e instanceof Error ? e.message : String(e)}` })
      })
    }
  })

/** Removes a forward from the master (`-O cancel`); a forwarded host socket file is removed too. */
export const cancelForward = (target: SshTarget, spec: ForwardSpec): Effect.Effect<void, SshError> =>
  Effect.gen(function*() {
    yield* checkSpec(spec)
    const r = yield* control(target, ["-O", "cancel", "-L", forwardArg(spec)])
    if (r.exitCode !== 0) return yield* Effect.fail(failure(`cancelling the forward ${describe(spec)}`, r))
    if (spec._tag === "Socket") {
      yield* Effect.sync(() => {
        try {
          if (fs.lstatSync(spec.hostSocket).isSocket()) fs.rmSync(spec.hostSocket)
        } catch {
          // already gone
        }
      })
    }
  })
