/**
 * Usable VMs end to end, fast: the real CLI, the real daemon and the qemu driver
 * with the tiny SSH test guest (busybox + dropbear, booting in seconds under TCG),
 * which speaks the same guest contract as a cloud image: NoCloud seed, DHCP, SSH,
 * boot.sh. Readiness is decided over SSH by the host agent (the template has no
 * console ready line). The steps build on each other in one temp HOME; afterAll
 * stops the daemon and kills, by pid, every QEMU and ssh process of this HOME.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { httpGet, processesOf, retrying } from "../support/guests.js"
import { isAlive } from "../support/process.js"
import { messages, runRdd, type RunResult } from "../support/rdd.js"

const repo = path.resolve(import.meta.dirname, "../..")
const suffix = `ls${process.pid % 100000}`
const home = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-ssh-e2e-"))
const limaHome = path.join(home, `.rd${suffix}`, "lima")
const serviceDir = path.join(home, ".local", "share", `rancher-desktop-${suffix}`)

const rdd = (args: ReadonlyArray<string>, timeoutMs = 150_000) =>
  runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info" }, timeoutMs })

const figure = (step: string, r: RunResult) => console.log(JSON.stringify({ figure: `limavm.ssh.${step}`, ms: r.ms, exit: r.code }))

/** Processes of this HOME: its QEMUs, ssh masters and sshfs pipelines. */
const ours = (what: RegExp) => processesOf(home, what)
const ourQemus = () => ours(/qemu-system/)
const ourSsh = () => ours(/^ssh\0/)
/** The control masters only: other ssh processes (the host agent's listener polls) come and go. */
const ourMasters = () => ours(/^ssh\0[^]*ControlMaster=yes/)

const getVm = async (name: string): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from kubectl
  const r = await rdd(["ctl", "get", "limavm", name, "-o", "json"])
  assert.strictEqual(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}

/** The forward appears when the host agent next reads the guest's listeners (every 3 s): bounded retry. */
const eventually = (port: number, ms = 20_000): Promise<string> => retrying(() => httpGet(port), ms)

const hostPort = 18000 + (process.pid % 1000)
const followedPort = 19000 + (process.pid % 1000)

let template = ""
let neverReady = ""
const write = (name: string, text: string) => {
  const p = path.join(home, name)
  fs.writeFileSync(p, text)
  return p
}

beforeAll(() => {
  execFileSync("node", ["scripts/build.mjs"], { cwd: repo, stdio: "ignore" })
  const image = (...args: Array<string>) =>
    execFileSync("bash", [path.join(repo, "scripts/test-image.sh"), ...args], { encoding: "utf8", timeout: 300_000 }).trim()
  const base = fs.readFileSync(image("--tiny-ssh"), "utf8")
  template = write("web.yaml", `${base}
provision:
- mode: system
  script: |
    #!/bin/sh
    echo "system as $(id -un)" > /run/rdd-system-marker
- mode: user
  script: |
    #!/bin/sh
    echo "user as $(id -un)" > /tmp/rdd-user-marker
portForwards:
- guestPort: 8080
  hostPort: ${hostPort}
`)
  neverReady = image("--tiny-ssh", "--never-ready")
}, 300_000)

afterAll(async () => {
  const daemon = Number(fs.existsSync(path.join(serviceDir, "rdd.pid")) ? fs.readFileSync(path.join(serviceDir, "rdd.pid"), "utf8") : "0")
  if (daemon > 0 && isAlive(daemon)) await rdd(["svc", "stop", "--timeout=60s"], 70_000)
  if (daemon > 0 && isAlive(daemon)) process.kill(daemon, "SIGKILL")
  for (const pid of [...ourQemus(), ...ourSsh()]) process.kill(pid, "SIGKILL")
  fs.rmSync(home, { recursive: true, force: true })
}, 120_000)

describe.sequential("usable VMs: SSH, provisioning, forwards and shell with the tiny SSH guest", () => {
  it("create --start returns once SSH answers and the boot scripts are done; status carries the SSH port", async () => {
    const r = await rdd(["limavm", "create", "web", template, "--start", "--timeout=3m"])
    figure("create-start", r)
    assert.strictEqual(r.code, 0, r.stderr)
    assert.include(messages(r.stderr), `LimaVM "web" started in namespace "default"`)
    const vm = await getVm("web")
    assert.isAbove(vm.status.sshLocalPort, 0)
    const agentLog = await rdd(["limavm", "logs", "web", "--host-agent"])
    assert.strictEqual(agentLog.code, 0, agentLog.stderr)
    for (const step of ["SSH answers", "boot scripts finished", "ready"]) assert.include(agentLog.stdout, step)
    assert.include(fs.readFileSync(path.join(limaHome, "web", "ssh.config"), "utf8"), `Port ${vm.status.sshLocalPort}`)
  }, 240_000)

  it("shell runs a command as the guest user and passes its exit status through; the provision scripts ran", async () => {
    const host = await rdd(["limavm", "shell", "web", "--", "cat", "/etc/hostname"])
    assert.strictEqual(host.code, 0, host.stderr)
    assert.strictEqual(host.stdout.trim(), "lima-web")
    const markers = await rdd(["limavm", "shell", "web", "--", "cat", "/run/rdd-system-marker", "/tmp/rdd-user-marker"])
    assert.strictEqual(markers.code, 0, markers.stderr)
    assert.deepStrictEqual(markers.stdout.trim().split("\n"), ["system as root", "user as lima"])
    const seven = await rdd(["limavm", "shell", "web", "--workdir", "/tmp", "--", "sh", "-c", "pwd; exit 7"])
    assert.strictEqual(seven.code, 7)
    assert.strictEqual(seven.stdout.trim(), "/tmp")
    const noDir = await rdd(["limavm", "shell", "web", "--workdir", "/no/such", "--", "true"])
    assert.strictEqual(noDir.code, 1)
  }, 60_000)

  it("forwards the template's fixed port at once and any other guest listener as it appears", async () => {
    const start = await rdd(["limavm", "shell", "web", "--", "sh", "-c",
      `mkdir -p /tmp/www && echo hello-guest > /tmp/www/index.html && busybox httpd -p 127.0.0.1:8080 -h /tmp/www && busybox httpd -p 0.0.0.0:${followedPort} -h /tmp/www`])
    assert.strictEqual(start.code, 0, start.stderr)
    assert.strictEqual((await eventually(hostPort)).trim(), "hello-guest")
    assert.strictEqual((await eventually(followedPort)).trim(), "hello-guest")
    // the host agent logs a forward once it is listening, so the port may answer first
    await retrying(async () =>
      assert.match(fs.readFileSync(path.join(limaHome, "web", "ha.log"), "utf8"), /forwarding 127\.0\.0\.1:19\d{3} \(guest\) to 127\.0\.0\.1:19\d{3}/), 10_000)
  }, 60_000)

  it("a daemon killed with SIGKILL is replaced by one that re-attaches: same QEMU, same SSH master, forwards still answer, no restart counted", async () => {
    const before = await getVm("web")
    const qemu = ourQemus()
    const masters = ourMasters()
    assert.lengthOf(masters, 1, "one SSH master before the kill")
    assert.strictEqual(qemu.length, 1, qemu.map((p) => fs.readFileSync(`/proc/${p}/cmdline`, "utf8").replace(/\0/g, " ").slice(0, 300)).join("\n"))
    const daemon = Number(fs.readFileSync(path.join(serviceDir, "rdd.pid"), "utf8"))
    process.kill(daemon, "SIGKILL")
    const up = await rdd(["svc", "start"])
    assert.strictEqual(up.code, 0, up.stderr)
    const w = await rdd(["ctl", "wait-condition", "limavm/web", "Running=True", "--timeout=60s"])
    assert.strictEqual(w.code, 0, w.stderr)
    assert.deepStrictEqual(ourQemus(), qemu, "the VM was not rebooted")
    assert.includeMembers(ourMasters(), masters, "the detached SSH master outlived the daemon")
    assert.strictEqual((await getVm("web")).status.restartCount, before.status.restartCount)
    assert.strictEqual((await eventually(hostPort)).trim(), "hello-guest")
    const s = await rdd(["limavm", "shell", "web", "--", "true"])
    assert.strictEqual(s.code, 0, s.stderr)
  }, 120_000)

  it("a QEMU killed from outside is booted again with a fresh agent: Running again, shell and forwards work", async () => {
    const before = (await getVm("web")).status.restartCount as number
    const [qemu] = ourQemus()
    process.kill(qemu!, "SIGKILL")
    const end = Date.now() + 90_000
    let vm = await getVm("web")
    while (vm.status.restartCount <= before && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 500))
      vm = await getVm("web")
    }
    assert.strictEqual(vm.status.restartCount, before + 1)
    assert.notDeepEqual(ourQemus(), [qemu])
    const s = await rdd(["limavm", "shell", "web", "--", "cat", "/etc/hostname"])
    assert.strictEqual(s.code, 0, s.stderr)
    assert.strictEqual(s.stdout.trim(), "lima-web")
    assert.strictEqual(ourSsh().length, 1, "one SSH master, for the new boot")
  }, 150_000)

  it("stop ends QEMU and the SSH master; shell then says the VM is not running (exit 1)", async () => {
    const r = await rdd(["limavm", "stop", "web"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.deepStrictEqual(ourQemus(), [])
    assert.deepStrictEqual(ourSsh(), [], "no ssh master or forward is left")
    assert.isUndefined((await getVm("web")).status.sshLocalPort)
    const s = await rdd(["limavm", "shell", "web", "--", "true"])
    assert.strictEqual(s.code, 1)
    assert.include(s.stderr, `is not running`)
    assert.include(s.stderr, `rdd limavm start web`)
  }, 60_000)

  it("a failing provision script fails the start fast (exit 1) with the script and the log's tail", async () => {
    const bad = write("bad.yaml", fs.readFileSync(template, "utf8").replace("echo \"system as $(id -un)\" > /run/rdd-system-marker", "echo broken-step >&2; exit 3"))
    const r = await rdd(["limavm", "create", "bad", bad, "--start", "--timeout=3m"])
    figure("provision-failure", r)
    assert.strictEqual(r.code, 1, r.stderr)
    assert.include(r.stderr, "provisioning failed")
    assert.include(r.stderr, "exit 3")
    assert.strictEqual((await rdd(["limavm", "delete", "bad"])).code, 0)
  }, 240_000)

  it("a guest whose SSH never answers: create --start, start and restart time out (exit 4) saying what they waited for", async () => {
    const r = await rdd(["limavm", "create", "mute", neverReady, "--start", "--timeout=25s"])
    assert.strictEqual(r.code, 4, r.stderr)
    assert.include(r.stderr, "context deadline exceeded")
    const vm = await getVm("mute")
    const running = vm.status.conditions.find((c: { type: string }) => c.type === "Running")
    assert.include(running.message, "waiting for SSH")
    for (const verb of ["start", "restart"]) {
      const t = await rdd(["limavm", verb, "mute", "--timeout=8s"])
      assert.strictEqual(t.code, 4, `${verb}: ${t.stderr}`)
      assert.include(t.stderr, "context deadline exceeded")
    }
    assert.strictEqual((await rdd(["limavm", "delete", "mute"])).code, 0)
  }, 120_000)

  it("delete removes the overlay, seed and keys, and leaves the image cache alone", async () => {
    const boot = JSON.parse(fs.readFileSync(path.join(limaHome, "web", "boot.json"), "utf8")) as { kernel: string }
    const r = await rdd(["limavm", "delete", "web"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.isFalse(fs.existsSync(path.join(limaHome, "web")))
    assert.isTrue(fs.existsSync(boot.kernel), "the cached kernel is still there")
    assert.deepStrictEqual(ourSsh(), [])
  }, 120_000)
})
