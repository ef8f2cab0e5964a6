/**
 * The tiny SSH test guest (`scripts/test-image.sh --tiny-ssh`) booted by bare
 * qemu-system-x86_64 under TCG exactly as the guest contract says the qemu driver boots
 * a Lima guest: a qcow2 overlay on the image's base disk (/dev/vda), a NoCloud seed ISO
 * with volume label `cidata` (/dev/vdb), user-mode networking on 192.168.5.0/24 with an
 * SSH hostfwd, serial console to a file, QMP socket. The seed is made here with
 * genisoimage and carries a hand-written boot.sh that follows the contract (the real
 * one comes from the seed generator): one system and one user provision script.
 * Prints the seconds to SSH answering and to boot-done for each boot.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { promisify } from "node:util"
import * as Either from "effect/Either"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import * as LimaTemplate from "../../src/domain/LimaTemplate.js"
import { isAlive } from "../support/process.js"
import { qmp } from "../support/qmp.js"

const repo = path.resolve(import.meta.dirname, "../..")
const execFileP = promisify(execFile)
const hasQemu = (() => {
  try {
    execFileSync("qemu-system-x86_64", ["--version"], { stdio: "ignore" })
    return true
  } catch {
    return false
  }
})()
if (!hasQemu) console.warn("tiny-ssh-guest: skipped, qemu-system-x86_64 is not on PATH")

const USER = "rddtest"
const UID = 1234
const HOME = `/home/${USER}.linux`

/**
 * The seed files the tests' guest reads: rdd.env, authorized_keys, and a boot.sh that
 * follows the contract (boot/ scripts, then provision/ in lexical order, system as
 * root, user through `su -l`, logged, stop at the first failure, boot-done atomically).
 * The system script also checks that the boot/ script ran before it.
 */
const seedFiles = (o: { user: string; uid: number; home: string; hostname: string; pubKey: string }): Record<string, string> => ({
  "rdd.env": [
    `RDD_USER='${o.user}'`, `RDD_UID='${o.uid}'`, `RDD_HOME='${o.home}'`, `RDD_SHELL='/bin/bash'`,
    `RDD_HOSTNAME='${o.hostname}'`, `RDD_HOST_IP='192.168.5.2'`, `GREETING='hello tiny'`, ""
  ].join("\n"),
  "authorized_keys": o.pubKey,
  "boot.sh": `#!/bin/sh
set -a; . ./rdd.env; set +a
mkdir -p /run/rdd
verdict() { echo "$1" > /run/rdd/boot-done.tmp && mv /run/rdd/boot-done.tmp /run/rdd/boot-done; }
for f in boot/*.sh; do
  [ -f "$f" ] || continue
  sh "$f"; rc=$?; [ $rc -eq 0 ] || { verdict "failed $f exit $rc"; exit 1; }
done
for f in provision/*; do
  name=\${f#provision/}
  echo "== $name" >> /var/log/rdd-provision.log
  case "$name" in
    *-system.sh) sh "$f" >> /var/log/rdd-provision.log 2>&1 ;;
    *-user.sh) su -l "$RDD_USER" -c "set -a; . $PWD/rdd.env; set +a; sh $PWD/$f" >> /var/log/rdd-provision.log 2>&1 ;;
    *) continue ;;
  esac
  rc=$?; [ $rc -eq 0 ] || { verdict "failed $name exit $rc"; exit 1; }
done
verdict ok
`,
  "boot/001.sh": "touch /run/rdd-boot-script-ran\n",
  "provision/001-system.sh": "test -f /run/rdd-boot-script-ran && echo \"$(id -un) $GREETING\" > /var/lib/rdd-system-marker\n",
  "provision/002-user.sh": "echo \"$(id -un) $GREETING\" > ~/user-marker\n"
})

interface Image {
  readonly kernel: string
  readonly initrd: string
  readonly disk: string
  readonly cmdline: string
}
/** The files and kernel cmdline of a template written by test-image.sh, read by rdd's own template parser. */
const imageOf = (template: string, name: string): Image => {
  const text = fs.readFileSync(template, "utf8")
  expect(text).toMatch(/\nssh:\n {2}localPort: 0\n/)
  const parsed = LimaTemplate.parse(text)
  if (Either.isLeft(parsed)) throw new Error(parsed.left.message)
  const img = parsed.right.images[0]!
  return {
    disk: img.location,
    kernel: img.kernel!.location,
    initrd: img.initrd!.location,
    cmdline: img.kernel!.cmdline!.replace("{{.Name}}", name)
  }
}

const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = net.createServer()
    s.on("error", reject)
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })

/** Polls `probe` until it returns a value, at most `ms`; polling is the only way to see a guest come up. */
const until = async <A>(what: string, ms: number, probe: () => Promise<A | undefined>): Promise<A> => {
  const deadline = Date.now() + ms
  for (;;) {
    const a = await probe().catch(() => undefined)
    if (a !== undefined) return a
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`)
    await new Promise((r) => setTimeout(r, 250))
  }
}

const started = new Set<number>()
const children = new Set<ChildProcess>()
let work = ""
let key = ""
let tiny: Image
let neverReady: Image

beforeAll(() => {
  if (!hasQemu) return
  const build = (...args: Array<string>) =>
    execFileSync("bash", [path.join(repo, "scripts/test-image.sh"), "--tiny-ssh", ...args], { encoding: "utf8", timeout: 300_000 }).trim()
  // Short path: the QMP socket path must stay under 108 bytes.
  work = fs.mkdtempSync(path.join(os.tmpdir(), "rddts-"))
  tiny = imageOf(build(), "t1")
  neverReady = imageOf(build("--never-ready"), "t2")
  key = path.join(work, "id_ed25519")
  execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "rdd-test", "-f", key])
}, 300_000)

afterAll(() => {
  for (const c of children) c.kill("SIGKILL")
  for (const pid of started) if (isAlive(pid)) process.kill(pid, "SIGKILL")
  if (work) fs.rmSync(work, { recursive: true, force: true })
})

interface Vm {
  readonly dir: string
  readonly sshPort: number
  readonly pid: number
  readonly t0: number
}

/** A VM directory with the overlay and the seed ISO, as the driver would lay it out. */
const prepare = (name: string, image: Image): string => {
  const dir = path.join(work, name)
  const seed = path.join(dir, "seed")
  for (const [rel, content] of Object.entries(seedFiles({ user: USER, uid: UID, home: HOME, hostname: `lima-${name}`, pubKey: fs.readFileSync(`${key}.pub`, "utf8") }))) {
    fs.mkdirSync(path.dirname(path.join(seed, rel)), { recursive: true })
    fs.writeFileSync(path.join(seed, rel), content)
  }
  execFileSync("genisoimage", ["-quiet", "-output", path.join(dir, "cidata.iso"), "-volid", "cidata", "-joliet", "-rock", seed])
  execFileSync("qemu-img", ["create", "-q", "-f", "qcow2", "-F", "raw", "-b", image.disk, path.join(dir, "diffdisk")])
  return dir
}

const boot = async (dir: string, image: Image): Promise<Vm> => {
  const sshPort = await freePort()
  const t0 = Date.now()
  execFileSync("qemu-system-x86_64", [
    "-nodefaults", "-no-user-config", "-display", "none", "-machine", "pc", "-accel", "tcg", "-m", "256", "-smp", "1",
    "-kernel", image.kernel, "-initrd", image.initrd, "-append", image.cmdline,
    "-drive", `file=${dir}/diffdisk,format=qcow2,if=virtio,discard=on`,
    "-drive", `file=${dir}/cidata.iso,format=raw,if=virtio,media=cdrom,readonly=on`,
    "-netdev", `user,id=net0,net=192.168.5.0/24,dhcpstart=192.168.5.15,hostfwd=tcp:127.0.0.1:${sshPort}-:22`,
    "-device", "virtio-net-pci,netdev=net0,mac=52:55:55:12:34:56",
    "-chardev", `file,id=ser0,path=${dir}/serial.log`, "-serial", "chardev:ser0",
    "-qmp", `unix:${dir}/qmp.sock,server=on,wait=off`, "-pidfile", `${dir}/qemu.pid`, "-no-reboot", "-daemonize"
  ], { timeout: 10_000 })
  const pid = Number(fs.readFileSync(`${dir}/qemu.pid`, "utf8").trim())
  started.add(pid)
  return { dir, sshPort, pid, t0 }
}

const sshArgs = (vm: Vm): Array<string> => [
  "-i", key, "-p", String(vm.sshPort), "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no",
  "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "ConnectTimeout=3", `${USER}@127.0.0.1`
]
const ssh = async (vm: Vm, command: string): Promise<string> =>
  (await execFileP("ssh", [...sshArgs(vm), command], { timeout: 20_000, encoding: "utf8" })).stdout

/** Seconds from QEMU's start to SSH answering and to /run/rdd/boot-done, as the host agent would see them. */
const awaitReady = async (vm: Vm, label: string) => {
  await until("SSH answering", 120_000, () => ssh(vm, "true").then(() => true))
  const toSsh = (Date.now() - vm.t0) / 1000
  const done = await until("/run/rdd/boot-done", 60_000, () => ssh(vm, "cat /run/rdd/boot-done").then((s) => s.trim() || undefined))
  const toDone = (Date.now() - vm.t0) / 1000
  // The guest's own clock (kernel uptime) says how much of that the host side added.
  const up = (what: string) => new RegExp(`QG: ${what}.*\\(uptime ([0-9.]+)\\)`).exec(serial(vm))?.[1] ?? "?"
  console.log(
    `tiny-ssh ${label}: SSH answered after ${toSsh.toFixed(2)} s, boot-done after ${toDone.toFixed(2)} s ` +
      `(guest uptime: network ${up("network")}, ssh up ${up("ssh up")}, boot-done ${up("boot-done")})`
  )
  return done
}

const serial = (vm: Vm) => fs.readFileSync(path.join(vm.dir, "serial.log"), "utf8").replace(/\r/g, "")

const powerdown = async (vm: Vm) => {
  const t = Date.now()
  await qmp(path.join(vm.dir, "qmp.sock"), "system_powerdown")
  await until("QEMU exit after system_powerdown", 10_000, async () => (isAlive(vm.pid) ? undefined : true))
  started.delete(vm.pid)
  return (Date.now() - t) / 1000
}

describe.skipIf(!hasQemu)("tiny SSH guest booted per the guest contract", () => {
  it("answers SSH as the seed's user, runs boot.sh's provision scripts, forwards a guest port, powers off", async () => {
    const vm = await boot(prepare("t1", tiny), tiny)
    expect(await awaitReady(vm, "first boot")).toBe("ok")
    expect((await ssh(vm, "id -un; id -u; hostname; echo $HOME")).trim().split("\n")).toEqual([USER, String(UID), "lima-t1", HOME])
    // The system script ran as root, the user script as the user, both with the template env.
    expect((await ssh(vm, "stat -c %u /var/lib/rdd-system-marker ~/user-marker")).trim().split("\n")).toEqual(["0", String(UID)])
    expect((await ssh(vm, "cat /var/lib/rdd-system-marker ~/user-marker")).trim().split("\n")).toEqual(["root hello tiny", `${USER} hello tiny`])
    expect(await ssh(vm, "cat /var/log/rdd-provision.log")).toContain("001-system.sh")
    await until("the serial ready line", 10_000, async () => serial(vm).includes("\nQGUEST-READY id=t1 ") || undefined)

    // A TCP server in the guest, reached from the host through an ssh -L forward.
    await ssh(vm, "mkdir -p ~/www && echo hello-from-the-guest > ~/www/index.html && busybox httpd -p 127.0.0.1:8080 -h ~/www")
    const hostPort = await freePort()
    const fwd = spawn("ssh", ["-N", "-o", "ExitOnForwardFailure=yes", "-L", `127.0.0.1:${hostPort}:127.0.0.1:8080`, ...sshArgs(vm)], { stdio: "ignore" })
    children.add(fwd)
    const body = await until("the forwarded guest port", 20_000, async () => {
      const res = await fetch(`http://127.0.0.1:${hostPort}/index.html`)
      return res.ok ? res.text() : undefined
    })
    expect(body.trim()).toBe("hello-from-the-guest")
    fwd.kill("SIGTERM")
    await new Promise((r) => (fwd.exitCode !== null || fwd.signalCode !== null ? r(undefined) : fwd.once("exit", r)))
    children.delete(fwd)

    await ssh(vm, "echo kept > ~/persisted.txt && sync")
    console.log(`tiny-ssh: system_powerdown -> QEMU exit in ${(await powerdown(vm)).toFixed(2)} s`)
  }, 240_000)

  it("keeps the data disk (and the home on it) across a stop/start of the same overlay", async () => {
    const vm = await boot(path.join(work, "t1"), tiny)
    expect(await awaitReady(vm, "second boot (same overlay)")).toBe("ok")
    expect((await ssh(vm, "cat ~/persisted.txt")).trim()).toBe("kept")
    expect(serial(vm)).not.toContain("formatted /dev/vda")
    await powerdown(vm)
  }, 240_000)

  it("--never-ready boots and runs boot.sh but SSH never answers and no ready line is printed", async () => {
    const vm = await boot(prepare("t2", neverReady), neverReady)
    await until("boot.sh finished in the guest", 120_000, async () => serial(vm).includes("QG: boot-done: ok") || undefined)
    await expect(ssh(vm, "true")).rejects.toThrow()
    expect(serial(vm)).not.toContain("QGUEST-READY")
    await powerdown(vm)
  }, 240_000)
})
