/**
 * The SSH building blocks against a real OpenSSH server started here (its own host key,
 * a temp authorized_keys, on a free loopback port): the per-instance key pair, commands,
 * the detached control master, TCP and unix-socket forwards. Every process is stopped by
 * pid at the end (the master first: sshd's per-connection processes end with it).
 */
import { spawn, type ChildProcess } from "node:child_process"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { exec } from "../../src/layers/qemu/Exec.js"
import * as Ssh from "../../src/layers/qemu/Ssh.js"
import { dotSshPublicKeys, ensureKeyPair } from "../../src/layers/qemu/SshKeys.js"
import { isAlive } from "../support/process.js"

const run = <A, E>(effect: Effect.Effect<A, E>) => Effect.runPromise(effect)

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = net.createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resolve(port))
    })
  })

/** Resolves with the server's greeting, or rejects when the connection fails. */
const fetchFrom = (options: net.NetConnectOpts) =>
  new Promise<string>((resolve, reject) => {
    const socket = net.createConnection(options)
    let data = ""
    socket.setTimeout(5000, () => socket.destroy(new Error("no answer within 5 s")))
    socket.on("data", (chunk) => (data += chunk.toString()))
    socket.on("end", () => resolve(data))
    socket.on("error", reject)
  })

const greeter = (greeting: string) => net.createServer((socket) => socket.end(greeting))

/** Waits (bounded) until `pid` is gone. */
const awaitGone = async (pid: number, ms = 10_000) => {
  const deadline = Date.now() + ms
  while (isAlive(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  return !isAlive(pid)
}

const statField = (pid: number, index: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[index])
}

// short: the control socket path must fit a unix socket address
const tmp = fs.mkdtempSync("/tmp/rdd-ssh-")
const user = os.userInfo().username
let sshd: ChildProcess | undefined
let target: Ssh.SshTarget
let masterPid: number | undefined
const servers: Array<net.Server> = []

beforeAll(async () => {
  fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 })
  const port = await freePort()
  const hostKey = path.join(tmp, "host_ed25519")
  await new Promise<void>((resolve, reject) => {
    const keygen = spawn("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", hostKey], { stdio: "ignore" })
    keygen.on("error", reject)
    keygen.on("exit", (code) => (code === 0 ? resolve() : reject(new Error(`ssh-keygen exit ${code}`))))
  })
  fs.writeFileSync(path.join(tmp, "authorized_keys"), "")
  fs.writeFileSync(path.join(tmp, "sshd_config"), [
    `Port ${port}`,
    "ListenAddress 127.0.0.1",
    `HostKey ${hostKey}`,
    "PidFile none",
    "UsePAM no",
    "StrictModes no",
    `AuthorizedKeysFile ${path.join(tmp, "authorized_keys")}`,
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "PermitRootLogin prohibit-password",
    "AllowTcpForwarding yes",
    "AllowStreamLocalForwarding yes",
    "LogLevel INFO",
    ""
  ].join("\n"))
  const child = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(tmp, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] })
  sshd = child
  // ready when it says it listens (bounded)
  await new Promise<void>((resolve, reject) => {
    let log = ""
    const timer = setTimeout(() => reject(new Error(`sshd did not start listening within 15 s: ${log}`)), 15_000)
    child.stderr?.on("data", (chunk) => {
      log += chunk.toString()
      if (log.includes("Server listening")) {
        clearTimeout(timer)
        resolve()
      }
    })
    child.on("exit", (code) => {
      clearTimeout(timer)
      reject(new Error(`sshd exited (${code}): ${log}`))
    })
  })
  target = {
    host: "127.0.0.1",
    port,
    user,
    identityFile: path.join(tmp, "vm", "id_ed25519"),
    controlPath: path.join(tmp, "vm", "ssh.sock"),
    alias: "lima-test"
  }
}, 30_000)

afterAll(async () => {
  for (const s of servers) s.close()
  if (target !== undefined) await Effect.runPromise(Effect.ignore(Ssh.masterExit(target)))
  if (masterPid !== undefined && isAlive(masterPid)) process.kill(masterPid, "SIGKILL")
  if (masterPid !== undefined) await awaitGone(masterPid)
  if (sshd?.pid !== undefined) {
    const pid = sshd.pid
    const exited = new Promise((r) => sshd?.once("exit", r))
    if (isAlive(pid)) {
      sshd.kill("SIGTERM")
      await exited
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true })
}, 30_000)

describe("SSH to a real sshd", () => {
  it("ensureKeyPair creates a 0600 ed25519 pair, keeps it, and repairs partial states", async () => {
    const dir = path.join(tmp, "vm")
    const first = await run(ensureKeyPair(dir))
    expect(first.privateKeyPath).toBe(target.identityFile)
    expect(first.publicKey).toMatch(/^ssh-ed25519 AAAA\S+ lima$/)
    expect(fs.statSync(first.privateKeyPath).mode & 0o777).toBe(0o600)
    expect((await run(ensureKeyPair(dir))).publicKey).toBe(first.publicKey)
    // private without public: the same public key comes back
    fs.rmSync(`${first.privateKeyPath}.pub`)
    fs.chmodSync(first.privateKeyPath, 0o644)
    const repaired = await run(ensureKeyPair(dir))
    expect(repaired.publicKey).toBe(first.publicKey)
    expect(fs.readFileSync(`${first.privateKeyPath}.pub`, "utf8").trim()).toBe(first.publicKey)
    expect(fs.statSync(first.privateKeyPath).mode & 0o777).toBe(0o600)
    // public without private: a new pair
    fs.rmSync(first.privateKeyPath)
    const fresh = await run(ensureKeyPair(dir))
    expect(fresh.publicKey).not.toBe(first.publicKey)
    expect(fs.existsSync(fresh.privateKeyPath)).toBe(true)
    expect(fs.readdirSync(dir).sort()).toEqual(["id_ed25519", "id_ed25519.pub"])
    fs.writeFileSync(path.join(tmp, "authorized_keys"), `${fresh.publicKey}\n`)
  })

  it("dotSshPublicKeys reads ~/.ssh/*.pub, one entry per key line", async () => {
    const home = path.join(tmp, "home")
    fs.mkdirSync(path.join(home, ".ssh"), { recursive: true })
    fs.writeFileSync(path.join(home, ".ssh", "b.pub"), "ssh-rsa BBB b\n\n")
    fs.writeFileSync(path.join(home, ".ssh", "a.pub"), "ssh-ed25519 AAA a\n# comment\nssh-ed25519 CCC c")
    fs.writeFileSync(path.join(home, ".ssh", "id_rsa"), "PRIVATE")
    expect(await run(dotSshPublicKeys(home))).toEqual(["ssh-ed25519 AAA a", "ssh-ed25519 CCC c", "ssh-rsa BBB b"])
    expect(await run(dotSshPublicKeys(path.join(tmp, "nohome")))).toEqual([])
  })

  it("run passes the exit status, stdout, stderr and stdin through, and quotes word lists", async () => {
    const r = await run(Ssh.run(target, "echo hello; echo oops >&2; exit 7", { timeout: "20 seconds" }))
    expect(r).toEqual({ exitCode: 7, stdout: "hello\n", stderr: "oops\n" })
    const echoed = await run(Ssh.run(target, "cat", { stdin: "from stdin\n", timeout: "20 seconds" }))
    expect(echoed.stdout).toBe("from stdin\n")
    const words = await run(Ssh.run(target, ["printf", "%s|", "a b", "it's", "-n", "$HOME"], { timeout: "20 seconds" }))
    expect(words.stdout).toBe("a b|it's|-n|$HOME|")
  })

  it("run is bounded: a command that outlives its timeout fails with reason timeout", async () => {
    const exit = await Effect.runPromiseExit(Ssh.run(target, "while echo tick; do sleep 0.2; done", { timeout: "1500 millis" }))
    expect(Exit.isFailure(exit) && String(exit)).toMatch(/timeout/)
  })

  it("masterStart starts a detached master that outlives its ssh parent; commands go through it", async () => {
    await run(Ssh.masterStart(target))
    const pid = await run(Ssh.masterPid(target))
    expect(pid).toBeGreaterThan(0)
    masterPid = pid
    // not our child and in its own session: a restarted daemon finds it alive
    expect(statField(pid!, 1)).not.toBe(process.pid)
    expect(statField(pid!, 3)).not.toBe(statField(process.pid, 3))
    expect(await run(Ssh.masterCheck(target))).toBe(true)
    // idempotent
    await run(Ssh.masterStart(target))
    expect(await run(Ssh.masterPid(target))).toBe(pid)
    // through the master, no key is needed any more
    const viaMaster = await run(Ssh.run({ ...target, identityFile: path.join(tmp, "no-such-key") }, "echo via master", { timeout: "20 seconds" }))
    expect(viaMaster.stdout).toBe("via master\n")
    fs.writeFileSync(path.join(tmp, "vm", "ssh.config"), Ssh.sshConfigText(target))
  })

  it("ssh -F <vm dir>/ssh.config <alias> works like Lima's", async () => {
    const r = await run(exec("ssh", ["-F", path.join(tmp, "vm", "ssh.config"), target.alias, "echo configured"], { timeoutMillis: 20_000 }))
    expect(r.stdout).toBe("configured\n")
  })

  it("forwards a TCP port and cancels it", async () => {
    const server = greeter("pong over tcp")
    servers.push(server)
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r))
    const guestPort = (server.address() as net.AddressInfo).port
    const hostPort = await freePort()
    const spec: Ssh.ForwardSpec = { _tag: "Tcp", hostIP: "127.0.0.1", hostPort, guestIP: "127.0.0.1", guestPort }
    expect(Ssh.forwardArg(spec)).toBe(`127.0.0.1:${hostPort}:127.0.0.1:${guestPort}`)
    await run(Ssh.forward(target, spec))
    expect(await fetchFrom({ host: "127.0.0.1", port: hostPort })).toBe("pong over tcp")
    await run(Ssh.cancelForward(target, spec))
    await expect(fetchFrom({ host: "127.0.0.1", port: hostPort })).rejects.toThrow(/ECONNREFUSED/)
  })

  it("forwards a unix socket (parent dir created, socket 0600) and cancels it", async () => {
    const guestSocket = path.join(tmp, "guest.sock")
    const hostSocket = path.join(tmp, "fwd", "deep", "host.sock")
    const server = greeter("pong over unix")
    servers.push(server)
    await new Promise<void>((r) => server.listen(guestSocket, r))
    const spec: Ssh.ForwardSpec = { _tag: "Socket", hostSocket, guestSocket }
    // a stale file where the socket goes is replaced (StreamLocalBindUnlink)
    fs.mkdirSync(path.dirname(hostSocket), { recursive: true })
    fs.writeFileSync(hostSocket, "stale")
    await run(Ssh.forward(target, spec))
    expect(fs.statSync(hostSocket).isSocket()).toBe(true)
    expect(fs.statSync(hostSocket).mode & 0o777).toBe(0o600)
    expect(await fetchFrom({ path: hostSocket })).toBe("pong over unix")
    await run(Ssh.cancelForward(target, spec))
    expect(fs.existsSync(hostSocket)).toBe(false)
  })

  it("a failed forward names it; masterExit ends the master", async () => {
    const blocker = net.createServer()
    servers.push(blocker)
    await new Promise<void>((r) => blocker.listen(0, "127.0.0.1", r))
    const busy = (blocker.address() as net.AddressInfo).port
    const exit = await Effect.runPromiseExit(Ssh.forward(target, { _tag: "Tcp", hostIP: "127.0.0.1", hostPort: busy, guestIP: "127.0.0.1", guestPort: 1 }))
    expect(String(exit)).toContain(`forwarding 127.0.0.1:${busy} → guest 127.0.0.1:1`)
    await run(Ssh.masterExit(target))
    expect(await run(Ssh.masterCheck(target))).toBe(false)
    expect(await awaitGone(masterPid!)).toBe(true)
    expect(fs.existsSync(target.controlPath)).toBe(false)
  })

  it("masterStart with a key the guest does not accept fails with ssh's message and leaves no master", async () => {
    const other = await run(ensureKeyPair(path.join(tmp, "other")))
    const wrong = { ...target, identityFile: other.privateKeyPath, controlPath: path.join(tmp, "other", "ssh.sock") }
    const exit = await Effect.runPromiseExit(Ssh.masterStart(wrong, "20 seconds"))
    expect(String(exit)).toMatch(/Permission denied/)
    expect(await run(Ssh.masterCheck(wrong))).toBe(false)
  })
})
