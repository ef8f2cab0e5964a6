/**
 * `rdd limavm` end to end: the real CLI, the real daemon (autostarted), the
 * LimaVM controller and the qemu driver with the REAL tiny test guest under TCG.
 * The steps build on each other, so they run in order in one temp HOME with one
 * instance; at most two guests run at once (vm1, plus vm2 for the timeout
 * cases). The CLI runs from a private copy of bin/ so concurrent rebuilds of the
 * working tree cannot pull chunks from under the daemon. afterAll stops the
 * daemon and SIGKILLs, by pid, every QEMU of this HOME still running.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { messages, runRdd, type RunResult } from "../support/rdd.js"
import { isAlive } from "../support/process.js"

const repo = path.resolve(import.meta.dirname, "../..")
const suffix = `lv${process.pid % 100000}`
const home = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-limavm-e2e-"))
const limaHome = path.join(home, `.rd${suffix}`, "lima")
const serviceDir = path.join(home, ".local", "share", `rancher-desktop-${suffix}`)

const rdd = (args: ReadonlyArray<string>, timeoutMs = 120_000) =>
  runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info" }, timeoutMs })

/** Figures for the record (the closing note quotes them). */
const figure = (step: string, r: RunResult) => console.log(JSON.stringify({ figure: `limavm.e2e.${step}`, ms: r.ms, exit: r.code }))

const testImage = (...args: Array<string>): string =>
  execFileSync("bash", [path.join(repo, "scripts/test-image.sh"), ...args], { encoding: "utf8", timeout: 300_000 }).trim()

const qemuPid = (vm: string): number | undefined => {
  try {
    const pid = Number(fs.readFileSync(path.join(limaHome, vm, "qemu.pid"), "utf8").trim())
    return Number.isInteger(pid) && pid > 0 && isAlive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}
/** Every QEMU started for this HOME (its cmdline names our lima home). */
const ourQemus = (): Array<number> =>
  fs.readdirSync("/proc").filter((e) => /^\d+$/.test(e)).flatMap((e) => {
    try {
      const cmd = fs.readFileSync(`/proc/${e}/cmdline`, "utf8")
      return cmd.includes("qemu-system") && cmd.includes(limaHome) ? [Number(e)] : []
    } catch {
      return []
    }
  })
const daemonPid = (): number | undefined => {
  try {
    return Number(fs.readFileSync(path.join(serviceDir, "rdd.pid"), "utf8").trim())
  } catch {
    return undefined
  }
}
const waitGone = async (pid: number, ms: number) => {
  const end = Date.now() + ms
  while (isAlive(pid) && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
  return !isAlive(pid)
}

const getVm = async (name: string): Promise<any> => { // eslint-disable-line @typescript-eslint/no-explicit-any -- JSON from kubectl
  const r = await rdd(["ctl", "get", "limavm", name, "-o", "json"])
  assert.strictEqual(r.code, 0, r.stderr)
  return JSON.parse(r.stdout)
}
const cond = (vm: { status?: { conditions?: Array<{ type: string; status: string; reason: string }> } }, type: string) =>
  vm.status?.conditions?.find((c) => c.type === type)

let booting = ""
let neverBoots = ""
let tmpl = ""

beforeAll(() => {
  execFileSync("node", ["scripts/build.mjs"], { cwd: repo, stdio: "ignore" })
  booting = testImage()
  neverBoots = testImage("--never-boots")
  tmpl = fs.mkdtempSync(path.join(home, "tpl-"))
}, 300_000)

afterAll(async () => {
  for (const pid of ourQemus()) process.kill(pid, "SIGCONT")
  const d = daemonPid()
  if (d !== undefined && isAlive(d)) await rdd(["svc", "stop", "--timeout=60s"], 70_000)
  if (d !== undefined && isAlive(d)) process.kill(d, "SIGKILL")
  for (const pid of ourQemus()) process.kill(pid, "SIGKILL")
  fs.rmSync(home, { recursive: true, force: true })
}, 120_000)

describe.sequential("rdd limavm with a real QEMU guest", () => {
  let firstPid = 0

  it("create --start exits 0 only after the guest signalled boot; ctl get shows Running", async () => {
    const r = await rdd(["limavm", "create", "vm1", booting, "--start", "--timeout=2m"])
    figure("create-start-with-autostart", r)
    assert.strictEqual(r.code, 0, r.stderr)
    assert.include(messages(r.stderr), `LimaVM "vm1" started in namespace "default"`)
    const serial = fs.readFileSync(path.join(limaHome, "vm1", "serial.log"), "utf8")
    assert.include(serial, "QGUEST-READY id=vm1")
    const vm = await getVm("vm1")
    assert.strictEqual(cond(vm, "Running")?.status, "True")
    assert.strictEqual(cond(vm, "Running")?.reason, "Started")
    assert.strictEqual(vm.status.restartCount, 1)
    const table = await rdd(["ctl", "get", "limavm", "vm1"])
    assert.match(table.stdout, /vm1\s+true/)
    firstPid = qemuPid("vm1") ?? 0
    assert.isAbove(firstPid, 0)
    const logs = await rdd(["limavm", "logs", "vm1"])
    assert.strictEqual(logs.code, 0, logs.stderr)
    assert.include(logs.stdout, "QGUEST-READY id=vm1")
    const list = await rdd(["limavm", "list"])
    // limactl's columns: NAME NAMESPACE STATUS SSH VMTYPE ARCH CPUS MEMORY DISK RESTARTS DIR
    assert.match(list.stdout, /vm1\s+default\s+Running\s+-\s+qemu\s+x86_64\s+1\s+256MiB\s+\S+\s+1\s+\//)
  }, 180_000)

  it("stop -> Running=False/Stopped and no QEMU left; start again", async () => {
    const r = await rdd(["limavm", "stop", "vm1"])
    assert.strictEqual(r.code, 0, r.stderr)
    const vm = await getVm("vm1")
    assert.strictEqual(cond(vm, "Running")?.status, "False")
    assert.strictEqual(cond(vm, "Running")?.reason, "Stopped")
    assert.isTrue(await waitGone(firstPid, 5000), "the QEMU process is gone")
    assert.deepStrictEqual(ourQemus(), [])
    const s = await rdd(["limavm", "start", "vm1", "-o", "json"])
    figure("start", s)
    assert.strictEqual(s.code, 0, s.stderr)
    assert.strictEqual(JSON.parse(s.stdout).outcome, "ready")
    assert.strictEqual((await getVm("vm1")).status.restartCount, 2)
  }, 180_000)

  it("restart -> restartCount + 1", async () => {
    const before = (await getVm("vm1")).status.restartCount as number
    const r = await rdd(["limavm", "restart", "vm1"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.include(messages(r.stderr), `LimaVM "vm1" restarted in namespace "default"`)
    assert.strictEqual((await getVm("vm1")).status.restartCount, before + 1)
  }, 180_000)

  it("a daemon killed with SIGKILL and started again re-adopts the running VM: same QEMU pid, no reboot, restartCount unchanged", async () => {
    const w = await rdd(["ctl", "wait-condition", "limavm/vm1", "Running", "--reason", "Started", "--timeout=60s"])
    assert.strictEqual(w.code, 0, w.stderr)
    const pid = qemuPid("vm1")!
    const count = (await getVm("vm1")).status.restartCount as number
    const boots = fs.readFileSync(path.join(limaHome, "vm1", "serial.log"), "utf8").split("QGUEST-READY").length - 1
    const d = daemonPid()!
    process.kill(d, "SIGKILL")
    assert.isTrue(await waitGone(d, 5000))
    assert.isTrue(isAlive(pid), "the VM survives the daemon")
    const s = await rdd(["svc", "start"])
    assert.strictEqual(s.code, 0, s.stderr)
    const w2 = await rdd(["ctl", "wait-condition", "limavm/vm1", "Running", "--reason", "Started", "--since", "startup", "--timeout=1s"])
    // adoption keeps the old transition time: the condition did not move at this start
    assert.strictEqual(w2.code, 4, w2.stderr)
    const vm = await getVm("vm1")
    assert.strictEqual(cond(vm, "Running")?.reason, "Started")
    assert.strictEqual(vm.status.restartCount, count)
    assert.strictEqual(qemuPid("vm1"), pid)
    const bootsAfter = fs.readFileSync(path.join(limaHome, "vm1", "serial.log"), "utf8").split("QGUEST-READY").length - 1
    assert.strictEqual(bootsAfter, boots)
  }, 180_000)

  it("svc stop with the VM running stops it gracefully within the drain cap", async () => {
    const pid = qemuPid("vm1")!
    const r = await rdd(["svc", "stop"])
    figure("svc-stop-with-running-vm", r)
    assert.strictEqual(r.code, 0, r.stderr)
    assert.isBelow(r.ms, 45_000)
    assert.isTrue(await waitGone(pid, 5000), "QEMU ended with the control plane")
    const log = fs.readFileSync(path.join(home, ".local", "state", `rancher-desktop-${suffix}`, "rdd.stderr.log"), "utf8")
    assert.include(log, `stopping VM \\"vm1\\" (control plane shutdown)`)
    // the next start brings it back (spec.running is still true)
    const s = await rdd(["limavm", "start", "vm1"])
    assert.strictEqual(s.code, 0, s.stderr)
  }, 180_000)

  it("exit 4 for create --start, start and restart of a guest that never boots; exit 1 at once for a missing kernel", async () => {
    const c = await rdd(["limavm", "create", "vm2", neverBoots, "--start", "--timeout=3s"])
    assert.strictEqual(c.code, 4, c.stderr)
    assert.include(c.stderr, "context deadline exceeded")
    assert.isBelow(c.ms, 20_000)
    const s = await rdd(["limavm", "start", "vm2", "--timeout=2s"])
    assert.strictEqual(s.code, 4, s.stderr)
    const rs = await rdd(["limavm", "restart", "vm2", "--timeout=2s"])
    assert.strictEqual(rs.code, 4, rs.stderr)
    const d = await rdd(["limavm", "delete", "vm2"])
    assert.strictEqual(d.code, 0, d.stderr)

    const broken = path.join(tmpl, "nokernel.yaml")
    fs.writeFileSync(broken, fs.readFileSync(booting, "utf8").replace(/location: "([^"]*)vmlinuz"/, 'location: "/nonexistent/vmlinuz"'))
    const k = await rdd(["limavm", "create", "vm3", broken, "--start", "--timeout=2m"])
    figure("missing-kernel-fails-fast", k)
    assert.strictEqual(k.code, 1, k.stderr)
    assert.isBelow(k.ms, 30_000)
    assert.match(k.stderr, /failed to start|could not be created/)
    assert.strictEqual((await rdd(["limavm", "delete", "vm3"])).code, 0)
  }, 240_000)

  it("exit 3 for an invalid template, a name used in another namespace and a templateRef patch; exit 1 for create with another template", async () => {
    const bad = path.join(tmpl, "bad.yaml")
    fs.writeFileSync(bad, "arch: cray-1\nimages:\n- location: /x.img\n")
    const b = await rdd(["limavm", "create", "vm4", bad])
    assert.strictEqual(b.code, 3, b.stderr)
    assert.include(b.stderr, "failed to validate template")
    const cm = await rdd(["ctl", "get", "configmap", "vm4", "--ignore-not-found", "-o", "name"])
    assert.strictEqual(cm.stdout.trim(), "", "the file's ConfigMap is cleaned up")
    const dup = await rdd(["limavm", "create", "vm1", "-n", "other", booting])
    assert.strictEqual(dup.code, 3, dup.stderr)
    assert.include(messages(dup.stderr).join("\n"), `LimaVM name "vm1" is already used in namespace "default"`)
    const change = await rdd(["limavm", "create", "vm1", "other-template"])
    assert.strictEqual(change.code, 1, change.stderr)
    assert.include(messages(change.stderr).join("\n"), `not "other-template"; delete it first`)
    const p = await rdd(["ctl", "patch", "limavm", "vm1", "--type=merge", "-p", `{"spec":{"templateRef":{"name":"other"}}}`])
    assert.notStrictEqual(p.code, 0)
    assert.include(p.stderr, "templateRef is immutable")
  }, 120_000)

  it("exit 4 for stop and delete of a frozen guest (SIGSTOP), which complete once it is resumed; delete removes everything", async () => {
    const pid = qemuPid("vm1")!
    process.kill(pid, "SIGSTOP")
    try {
      const s = await rdd(["limavm", "stop", "vm1", "--timeout=2s"])
      assert.strictEqual(s.code, 4, s.stderr)
    } finally {
      process.kill(pid, "SIGCONT")
    }
    const w = await rdd(["ctl", "wait-condition", "limavm/vm1", "Running=False", "--reason", "Stopped", "--timeout=90s"])
    assert.strictEqual(w.code, 0, w.stderr)
    assert.strictEqual((await rdd(["limavm", "start", "vm1"])).code, 0)
    const pid2 = qemuPid("vm1")!
    process.kill(pid2, "SIGSTOP")
    try {
      const d = await rdd(["limavm", "delete", "vm1", "--timeout=2s"])
      assert.strictEqual(d.code, 4, d.stderr)
    } finally {
      process.kill(pid2, "SIGCONT")
    }
    // the timed-out delete goes on once QEMU is resumed and may finish first: "delete it, or
    // find it gone" is --ignore-not-found (a plain delete of a VM gone everywhere is exit 1)
    const d2 = await rdd(["limavm", "delete", "vm1", "--ignore-not-found", "--timeout=90s"])
    assert.strictEqual(d2.code, 0, d2.stderr)
    const left = await rdd(["ctl", "get", "limavm,configmap", "-A", "-o", "name"])
    assert.notMatch(left.stdout, /limavm.*vm1|configmap\/vm1(-template)?$/m)
    assert.isFalse(fs.existsSync(path.join(limaHome, "vm1")), "<lima_home>/vm1 is gone")
    assert.isTrue(await waitGone(pid2, 5000))
  }, 240_000)
})
