/**
 * The way into a Lima-style guest: who the guest user is, the cloud-init seed and
 * `ssh.config` written at each start (so a changed template or key reaches the
 * guest), the OpenSSH implementation of the host agent's `SshOps` (control master,
 * `-O forward`, reverse-sshfs mounts), and the teardown that a stop runs. The SSH
 * master and the sshfs pipelines are detached processes, so a VM's forwards and
 * mounts outlive a daemon restart exactly like the VM itself.
 */
import * as Effect from "effect/Effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as LimaTemplate from "../../domain/LimaTemplate.js"
import type { GuestConfig } from "../../domain/limavm/GuestConfig.js"
import * as Seed from "../../domain/limavm/Seed.js"
import { pollUntil } from "../../services/Wait.js"
import { writeFileAtomicSync } from "../NodeInstanceDir.js"
import { AgentSshError, type ResolvedMount, type SshOps } from "./HostAgent.js"
import { HostAddress, type VmFiles } from "./QemuArgs.js"
import * as SeedIso from "./SeedIso.js"
import * as Ssh from "./Ssh.js"
import * as SshKeys from "./SshKeys.js"

export interface HostUser {
  readonly username: string
  readonly uid: number
}

const linuxName = /^[a-z_][a-z0-9_-]{0,31}$/

/**
 * Lima's guest user: the template's, else the host user's name and uid; root (or a
 * name Linux would refuse) becomes Lima's fallback user `lima` with uid 1000.
 */
export const guestUser = (guest: GuestConfig, host: HostUser): Seed.SeedUser => {
  const hostUsable = host.uid !== 0 && linuxName.test(host.username)
  const name = guest.user.name ?? (hostUsable ? host.username : "lima")
  const uid = guest.user.uid ?? (hostUsable ? host.uid : 1000)
  return {
    name,
    uid,
    home: guest.user.home ?? `/home/${name}.linux`,
    shell: guest.user.shell ?? "/bin/bash",
    ...(guest.user.comment === undefined ? {} : { comment: guest.user.comment })
  }
}

export const target = (files: VmFiles, vmName: string, user: string, port: number): Ssh.SshTarget => ({
  host: "127.0.0.1",
  port,
  user,
  identityFile: files.sshKey,
  controlPath: files.sshControl,
  alias: `lima-${vmName}`
})

/** The SSH port of the last start, from `ssh.config` (the one record of it). */
export const readPort = (files: VmFiles): number | undefined => {
  try {
    const m = /^\s*Port\s+(\d+)\s*$/m.exec(fs.readFileSync(files.sshConfig, "utf8"))
    return m === null ? undefined : Number(m[1])
  } catch {
    return undefined
  }
}

/** The user of the last start, from `ssh.config`. */
export const readUser = (files: VmFiles): string | undefined => {
  try {
    const m = /^\s*User\s+(\S+)\s*$/m.exec(fs.readFileSync(files.sshConfig, "utf8"))
    return m === null ? undefined : m[1]
  } catch {
    return undefined
  }
}

/** The per-VM key pair (kept in the instance directory, 0600); made at create. */
export const ensureKey = (files: VmFiles) => Effect.mapError(SshKeys.ensureKeyPair(files.dir), (e) => e.message)

/** Writes the seed ISO and `ssh.config` for a start on `port`. */
export const prepareStart = (
  files: VmFiles,
  vmName: string,
  template: LimaTemplate.LimaTemplate,
  port: number,
  home: string,
  host: HostUser
): Effect.Effect<Ssh.SshTarget, string> =>
  Effect.gen(function*() {
    const guest = template.guest
    const key = yield* ensureKey(files)
    const extra = guest.ssh.loadDotSSHPubKeys ? yield* SshKeys.dotSshPublicKeys(home) : []
    const user = guestUser(guest, host)
    const input: Seed.SeedInput = {
      vmName,
      user,
      authorizedKeys: [key.publicKey, ...extra],
      provision: guest.provision,
      env: guest.env,
      hostIp: HostAddress
    }
    const problems = Seed.problems(input)
    if (problems.length > 0) return yield* Effect.fail(`cannot make the cloud-init seed: ${problems.join("; ")}`)
    yield* Effect.mapError(SeedIso.writeSeedIso(files.seed, Seed.render(input)), (e) => e.message)
    const t = target(files, vmName, user.name, port)
    yield* Effect.try({
      try: () => writeFileAtomicSync(files.sshConfig, Ssh.sshConfigText(t), 0o600),
      catch: (e) => `cannot write ${files.sshConfig}: ${String(e)}`
    })
    return t
  })

const asAgentError = <A>(e: Effect.Effect<A, Ssh.SshError>) => Effect.mapError(e, (err) => new AgentSshError({ message: err.message }))

/** Debian puts sftp-server in /usr/lib/openssh; other systems elsewhere. */
const SftpServers = ["/usr/lib/openssh/sftp-server", "/usr/libexec/sftp-server", "/usr/lib/ssh/sftp-server", "/usr/libexec/openssh/sftp-server"]

const mountPidFile = (files: VmFiles, index: number) => `${files.dir}/sshfs.${index}.pid`

/** POSIX single quoting for a word inside a remote or local shell line. */
const q = Ssh.shellQuote

/**
 * reverse-sshfs, as Lima runs it: the guest's `sshfs -o slave` speaks SFTP over the
 * SSH session's stdin/stdout to the host's own `sftp-server` (read-only with -R). The
 * pipeline is a detached shell (its own process group, pid recorded) so it outlives
 * the daemon; a fifo closes the loop from ssh's stdout back to sftp-server's stdin.
 */
const mountReverseSshfs = (t: Ssh.SshTarget, files: VmFiles, index: number, m: ResolvedMount): Effect.Effect<void, AgentSshError> =>
  Effect.gen(function*() {
    const sftp = SftpServers.find((p) => fs.existsSync(p))
    if (sftp === undefined) {
      return yield* new AgentSshError({ message: "no sftp-server on the host (Debian package openssh-sftp-server)" })
    }
    if (!fs.existsSync(m.location)) return yield* new AgentSshError({ message: `${m.location} does not exist on the host` })
    const already = yield* asAgentError(Ssh.run(t, `mountpoint -q ${q(m.mountPoint)}`, { timeout: "10 seconds" }))
    if (already.exitCode === 0) return
    const remote = [
      `sudo mkdir -p ${q(m.mountPoint)}`,
      `exec sudo sshfs -f -o slave -o allow_other -o ${m.writable ? "rw" : "ro"} -o uid=$(id -u),gid=$(id -g) ${q(`:${m.location}`)} ${q(m.mountPoint)}`
    ].join(" && ")
    const fifo = `${files.dir}/sshfs.${index}.fifo`
    const sshLine = ["ssh", ...Ssh.sshArgs(t), remote].map(q).join(" ")
    const script = [
      `rm -f ${q(fifo)} && mkfifo -m 600 ${q(fifo)} || exit 1`,
      `exec 3<>${q(fifo)}`,
      `${q(sftp)}${m.writable ? "" : " -R"} <&3 | ${sshLine} >&3`
    ].join("\n")
    const child = spawn("sh", ["-c", script], { detached: true, stdio: "ignore" })
    child.unref()
    if (child.pid !== undefined) writeFileAtomicSync(mountPidFile(files, index), `${child.pid}\n`, 0o600)
    // the mount appears when sshfs has its SFTP session (no event to watch in the guest): bounded poll
    yield* pollUntil(
      Effect.map(asAgentError(Ssh.run(t, `mountpoint -q ${q(m.mountPoint)}`, { timeout: "10 seconds" })), (r) => r.exitCode === 0),
      "250 millis"
    ).pipe(
      Effect.timeoutFail({
        duration: "30 seconds",
        onTimeout: () => new AgentSshError({ message: "sshfs did not mount within 30 s (is sshfs installed in the guest?)" })
      })
    )
  })

/** virtiofs or 9p: QEMU already shares the directory under `m.tag`; the guest mounts it (read-only unless writable). */
const mountShare = (t: Ssh.SshTarget, m: ResolvedMount): Effect.Effect<void, AgentSshError> =>
  Effect.gen(function*() {
    const options = m.type === "9p"
      ? `trans=virtio,version=9p2000.L,msize=262144${m.writable ? "" : ",ro"}`
      : m.writable ? "rw" : "ro"
    const r = yield* asAgentError(Ssh.run(t, [
      `mountpoint -q ${q(m.mountPoint)} && exit 0`,
      `sudo mkdir -p ${q(m.mountPoint)}`,
      `sudo mount -t ${m.type} -o ${options} ${q(m.tag)} ${q(m.mountPoint)}`
    ].join("\n"), { timeout: "30 seconds" }))
    if (r.exitCode !== 0) {
      const why = r.stderr.trim() === "" ? `exit ${r.exitCode}` : r.stderr.trim()
      return yield* new AgentSshError({ message: `the guest cannot mount ${m.type}: ${why}${m.type === "9p" ? " (does the guest kernel have the 9p modules?)" : ""}` })
    }
  })

/** The host agent's SSH operations for one VM. */
export const sshOps = (t: Ssh.SshTarget, files: VmFiles): SshOps => {
  let mounts = 0
  return {
    run: (command, options) =>
      asAgentError(Ssh.run(t, command, { timeout: options?.timeout ?? "30 seconds", ...(options?.stdin === undefined ? {} : { stdin: options.stdin }) })),
    masterUp: Ssh.masterCheck(t).pipe(Effect.orElseSucceed(() => false)),
    startMaster: asAgentError(Ssh.masterStart(t)),
    forwardTcp: (h, g) => asAgentError(Ssh.forward(t, { _tag: "Tcp", hostIP: h.hostIP, hostPort: h.hostPort, guestIP: g.ip, guestPort: g.port })),
    cancelTcp: (h, g) => asAgentError(Ssh.cancelForward(t, { _tag: "Tcp", hostIP: h.hostIP, hostPort: h.hostPort, guestIP: g.ip, guestPort: g.port })),
    forwardSocket: (hostSocket, guestSocket) => asAgentError(Ssh.forward(t, { _tag: "Socket", hostSocket, guestSocket })),
    mount: (m) => Effect.suspend(() => (m.type === "reverse-sshfs" ? mountReverseSshfs(t, files, mounts++, m) : mountShare(t, m)))
  }
}

const killGroup = (pid: number) => {
  try {
    process.kill(-pid, "SIGTERM")
  } catch {
    // already gone
  }
}

/**
 * What a stop leaves clean: the control master (its forwards with it), the sshfs
 * pipelines, and the host sockets the forwards had bound.
 */
export const teardown = (files: VmFiles, template: LimaTemplate.LimaTemplate, home: string): Effect.Effect<void> =>
  Effect.gen(function*() {
    const port = readPort(files)
    const user = readUser(files)
    if (port !== undefined && user !== undefined) {
      const t = target(files, "", user, port)
      yield* Ssh.masterExit(t).pipe(Effect.ignore)
    }
    for (const f of fs.existsSync(files.dir) ? fs.readdirSync(files.dir) : []) {
      // sshfs pipelines; virtiofsd ends with QEMU, but one whose QEMU never came up would not
      const m = /^(sshfs|virtiofsd)\.(\d+)\.pid$/.exec(f)
      if (m === null) continue
      const pid = Number(fs.readFileSync(`${files.dir}/${f}`, "utf8").trim())
      if (Number.isInteger(pid) && pid > 1) killGroup(pid)
      fs.rmSync(`${files.dir}/${f}`, { force: true })
      fs.rmSync(`${files.dir}/sshfs.${m[2]}.fifo`, { force: true })
    }
    for (const f of template.guest.portForwards) {
      if (f.hostSocket === undefined) continue
      const p = LimaTemplate.localPath(f.hostSocket, home)
      if (p !== undefined) fs.rmSync(p, { force: true })
    }
  })
