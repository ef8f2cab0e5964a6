/**
 * The acceptance run of usable VMs with a REAL cloud guest: Debian bookworm with
 * systemd, cloud-init, OpenSSH and sshfs (built offline from Debian's packages by
 * `scripts/test-image.sh --cloud`, cached; .ci/run builds it before the suites).
 * Through the real CLI and daemon: create --start returns only once SSH and
 * cloud-init are done; shell; a provision marker; a file that survives stop and
 * start; a TCP forward and a unix-socket forward answering on the host; a host
 * directory mounted read-only (reverse-sshfs); delete keeps the image cache. A
 * cloud-init boot takes 1.5–4 minutes under TCG, so this file boots one guest
 * twice, and its deadlines are long.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { httpGet, processesOf, retrying } from "../support/guests.js"
import { isAlive } from "../support/process.js"
import { runRdd, type RunResult } from "../support/rdd.js"

const repo = path.resolve(import.meta.dirname, "../..")
const suffix = `lc${process.pid % 100000}`
const home = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-cloud-e2e-"))
const limaHome = path.join(home, `.rd${suffix}`, "lima")
const serviceDir = path.join(home, ".local", "share", `rancher-desktop-${suffix}`)
const shared = path.join(home, "shared")
const hostSocket = path.join(home, "sock", "echo.sock")
const hostPort = 17000 + (process.pid % 1000)

const rdd = (args: ReadonlyArray<string>, timeoutMs = 120_000) =>
  runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info" }, timeoutMs })
const figure = (step: string, r: RunResult) => console.log(JSON.stringify({ figure: `limavm.cloud.${step}`, ms: r.ms, exit: r.code }))
const inGuest = (command: string) => rdd(["limavm", "shell", "web", "--", "sh", "-c", command], 60_000)

const ours = (what: RegExp) => processesOf(home, what)

const socketAsk = (p: string, line: string): Promise<string> =>
  new Promise((resolve, reject) => {
    const c = net.createConnection(p)
    let got = ""
    c.setTimeout(10_000, () => c.destroy(new Error("timeout")))
    c.on("connect", () => c.write(line))
    c.on("data", (d: Buffer) => (got += d.toString()))
    c.on("end", () => resolve(got))
    c.on("error", reject)
  })


let template = ""
let baseTemplate = ""

beforeAll(() => {
  execFileSync("node", ["scripts/build.mjs"], { cwd: repo, stdio: "ignore" })
  // .ci/run builds the image before the suites; elsewhere the first run builds it (minutes)
  const base = execFileSync("bash", [path.join(repo, "scripts/test-image.sh"), "--cloud"], { encoding: "utf8", timeout: 1_500_000 }).trim()
  baseTemplate = base
  fs.mkdirSync(shared)
  fs.writeFileSync(path.join(shared, "from-host.txt"), "host data\n")
  template = path.join(home, "web.yaml")
  fs.writeFileSync(template, `${fs.readFileSync(base, "utf8")}
provision:
- mode: system
  script: |
    #!/bin/sh
    echo "provisioned by $(id -un)" > /var/lib/rdd-provision-marker
portForwards:
- guestPort: 8088
  hostPort: ${hostPort}
- guestSocket: /tmp/echo.sock
  hostSocket: ${hostSocket}
mounts:
- location: ${shared}
  mountPoint: /mnt/shared
`)
}, 1_560_000)

afterAll(async () => {
  const daemon = Number(fs.existsSync(path.join(serviceDir, "rdd.pid")) ? fs.readFileSync(path.join(serviceDir, "rdd.pid"), "utf8") : "0")
  if (daemon > 0 && isAlive(daemon)) await rdd(["svc", "stop", "--timeout=90s"], 100_000)
  if (daemon > 0 && isAlive(daemon)) process.kill(daemon, "SIGKILL")
  for (const pid of ours(/qemu-system|^ssh\0|^sh\0-c\0|virtiofsd/)) process.kill(pid, "SIGKILL")
  fs.rmSync(home, { recursive: true, force: true })
}, 150_000)

describe.sequential("a real Debian cloud guest through rdd", () => {
  it("create --start returns only once SSH answers and cloud-init is done", async () => {
    const r = await rdd(["limavm", "create", "web", template, "--start", "--timeout=10m"], 660_000)
    figure("create-start", r)
    assert.strictEqual(r.code, 0, r.stderr)
    const ci = await inGuest("cloud-init status")
    assert.strictEqual(ci.code, 0, ci.stderr)
    assert.include(ci.stdout, "status: done")
  }, 700_000)

  it("shell prints Debian's os-release; the provision script ran as root", async () => {
    const os = await rdd(["limavm", "shell", "web", "--", "cat", "/etc/os-release"])
    assert.strictEqual(os.code, 0, os.stderr)
    assert.include(os.stdout, "ID=debian")
    const marker = await inGuest("cat /var/lib/rdd-provision-marker")
    assert.strictEqual(marker.stdout.trim(), "provisioned by root")
  }, 120_000)

  it("a TCP server in the guest answers on the forwarded host port; a guest socket answers on the host", async () => {
    const started = await inGuest(
      "mkdir -p /tmp/www && echo hello-cloud > /tmp/www/hello.txt && busybox httpd -p 127.0.0.1:8088 -h /tmp/www && " +
        "nohup python3 -c \"import socket,os\ns=socket.socket(socket.AF_UNIX)\ns.bind('/tmp/echo.sock')\ns.listen(4)\n" +
        "while True:\n c,_=s.accept(); d=c.recv(100); c.sendall(b'echo:'+d); c.close()\" >/dev/null 2>&1 &")
    assert.strictEqual(started.code, 0, started.stderr)
    assert.strictEqual((await retrying(() => httpGet(hostPort, "/hello.txt"), 20_000)).trim(), "hello-cloud")
    assert.strictEqual(await retrying(() => socketAsk(hostSocket, "ping"), 20_000), "echo:ping")
    assert.strictEqual(fs.statSync(hostSocket).mode & 0o777, 0o600)
  }, 120_000)

  it("a host directory is mounted read-only: readable, not writable", async () => {
    const read = await inGuest("cat /mnt/shared/from-host.txt")
    assert.strictEqual(read.stdout.trim(), "host data")
    const write = await inGuest("touch /mnt/shared/from-guest 2>&1; echo rc=$?")
    assert.notInclude(write.stdout, "rc=0")
    assert.isFalse(fs.existsSync(path.join(shared, "from-guest")))
  }, 120_000)

  it("a file written in the guest survives stop and start", async () => {
    assert.strictEqual((await inGuest("echo kept > ~/survivor.txt && sync")).code, 0)
    const stop = await rdd(["limavm", "stop", "web"], 200_000)
    figure("stop", stop)
    assert.strictEqual(stop.code, 0, stop.stderr)
    assert.isFalse(fs.existsSync(hostSocket), "stop removes the host socket")
    const start = await rdd(["limavm", "start", "web", "--timeout=10m"], 660_000)
    figure("start-again", start)
    assert.strictEqual(start.code, 0, start.stderr)
    assert.strictEqual((await inGuest("cat ~/survivor.txt")).stdout.trim(), "kept")
  }, 900_000)

  it("delete removes the overlay, seed and keys but not the image", async () => {
    const boot = JSON.parse(fs.readFileSync(path.join(limaHome, "web", "boot.json"), "utf8")) as { kernel: string }
    const r = await rdd(["limavm", "delete", "web"], 200_000)
    assert.strictEqual(r.code, 0, r.stderr)
    assert.isFalse(fs.existsSync(path.join(limaHome, "web")))
    assert.isTrue(fs.existsSync(boot.kernel))
    assert.deepStrictEqual(ours(/qemu-system|^ssh\0/), [])
  }, 240_000)

  it("mountType virtiofs: the host directory is shared through virtiofsd, readable and read-only in the guest", async () => {
    const t = path.join(home, "vfs.yaml")
    fs.writeFileSync(t, `${fs.readFileSync(baseTemplate, "utf8")}
mountType: virtiofs
mounts:
- location: ${shared}
  mountPoint: /mnt/vfs
`)
    const r = await rdd(["limavm", "create", "vfs", t, "--start", "--timeout=10m"], 660_000)
    figure("virtiofs-create-start", r)
    assert.strictEqual(r.code, 0, r.stderr)
    const fstype = await rdd(["limavm", "shell", "vfs", "--", "sh", "-c", "findmnt -n -o FSTYPE /mnt/vfs; cat /mnt/vfs/from-host.txt"])
    assert.deepStrictEqual(fstype.stdout.trim().split("\n"), ["virtiofs", "host data"])
    const write = await rdd(["limavm", "shell", "vfs", "--", "sh", "-c", "sudo touch /mnt/vfs/from-guest 2>&1; echo rc=$?"])
    assert.notInclude(write.stdout, "rc=0")
    assert.isFalse(fs.existsSync(path.join(shared, "from-guest")))
    assert.strictEqual((await rdd(["limavm", "delete", "vfs"], 200_000)).code, 0)
    assert.deepStrictEqual(ours(/qemu-system|^ssh\0|virtiofsd/), [])
  }, 720_000)
})
