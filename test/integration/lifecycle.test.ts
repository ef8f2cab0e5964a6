/**
 * The control-plane lifecycle on the real daemon (temp HOME, unique instance):
 * the full cycle with the exact messages, concurrency (10 starts → one daemon,
 * 10 stops → all 0), stale pid files, port fallback, RDD_KEEP_LOGS, `svc log -f`
 * across a restart, a daemon dying during startup, and settings mismatches.
 * Every test cleans up by pid within a bound; no process is left behind.
 */
import * as fs from "node:fs"
import * as net from "node:net"
import * as path from "node:path"
import { parse as parseYaml } from "yaml"
import { describe, expect, it } from "vitest"
import { isAlive, messagesOf, q, until, useInstances } from "./lifecycle-support.js"

const instance = useInstances(90_000)

const serverPort = (kubeconfig: string): number => {
  const kc = parseYaml(fs.readFileSync(kubeconfig, "utf8")) as { clusters: Array<{ cluster: { server: string } }> }
  return Number(new URL(kc.clusters[0]!.cluster.server).port)
}

describe("svc lifecycle on the real daemon", () => {
  it("full cycle: create → start → status → config → ctl get ns → stop → delete, with the exact messages", async () => {
    const i = instance()
    const N = q(i.name)
    const create = await i.rdd(["svc", "create"])
    expect(create.code).toBe(0)
    expect(create.messages).toEqual([`successfully created ${N} control plane`])
    expect((await i.rdd(["svc", "create"])).messages).toEqual([`${N} control plane already exists`])

    const start = await i.rdd(["svc", "start"])
    expect(start.code).toBe(0)
    expect(start.messages).toEqual([
      `starting ${N} control plane`,
      "waiting for API server",
      "waiting for controllers to register",
      "waiting for CRDs to be established",
      `${N} control plane is ready`
    ])
    const pid = i.pids()
    expect(pid).toHaveLength(1)

    const status = await i.rdd(["svc", "status"])
    expect(status.messages).toEqual([
      `${N} control plane has been created: true`,
      `${N} control plane has been started: true`,
      `${N} control plane PID is: ${pid[0]}`
    ])
    const statusJson = JSON.parse((await i.rdd(["svc", "status", "-o", "json"])).stdout) as Record<string, unknown>
    expect(statusJson).toMatchObject({ instance: i.name, created: true, started: true, pid: pid[0], ready: true })
    expect(statusJson["apiServer"]).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/)

    const again = await i.rdd(["svc", "start", "-o", "json"])
    expect(again.code).toBe(0)
    expect(again.messages).toEqual([`${N} control plane is already running`, `${N} control plane is ready`])
    const outcome = JSON.parse(again.stdout)
    expect(outcome).toMatchObject({ command: "svc start", instance: i.name, outcome: "ready", exitCode: 0, pid: pid[0] })

    const config = await i.rdd(["svc", "config"])
    expect(config.code).toBe(0)
    expect(config.stdout).toContain("kind: Config")
    expect(config.messages).toEqual([])

    const ctl = await i.rdd(["ctl", "get", "ns", "-o", "name"])
    expect(ctl.code).toBe(0)
    expect(ctl.stdout).toContain("namespace/rdd-system")
    // a ready control plane is confirmed by one quiet check: no waiting lines, nothing at all
    expect(ctl.stderr).toBe("")
    const missing = await i.rdd(["ctl", "get", "configmap", "no-such-thing", "-n", "default"])
    expect(missing.code).toBe(1) // kubectl's own exit code, passed through
    expect(missing.stderr).toContain("NotFound")

    const stop = await i.rdd(["svc", "stop"])
    expect(stop.code).toBe(0)
    expect(stop.messages).toEqual([`${N} control plane has stopped`])
    expect(fs.existsSync(path.join(i.dir, "config.yaml"))).toBe(false)
    expect(fs.existsSync(path.join(i.dir, "rdd.pid"))).toBe(false)
    expect((await i.rdd(["svc", "stop"])).messages).toEqual([`${N} control plane is already stopped`])

    fs.mkdirSync(path.join(i.shortDir, "lima"), { recursive: true })
    const neighbour = `${i.dir}0`
    fs.mkdirSync(neighbour)
    const del = await i.rdd(["svc", "delete"])
    expect(del.code).toBe(0)
    expect(del.messages).toEqual([`${N} control plane has been deleted`])
    for (const d of [i.dir, i.logDir, i.shortDir]) expect(fs.existsSync(d)).toBe(false)
    expect(fs.existsSync(neighbour)).toBe(true)
    expect((await i.rdd(["svc", "delete"])).messages).toEqual([`${N} control plane does not exist`])
    expect((await i.rdd(["svc", "stop"])).messages).toEqual([`${N} control plane does not exist`])
  }, 60_000)

  it("concurrent svc create with two settings: one creates, the same settings say it exists, the other settings fail loudly", async () => {
    const i = instance()
    const specs = ["*", "-limavm"]
    const runs = await Promise.all(Array.from({ length: 8 }, (_, k) => i.rdd(["svc", "create", `--controllers=${specs[k % 2]}`])))
    const created = runs.filter((r) => r.messages.includes(`successfully created ${q(i.name)} control plane`))
    expect(created, runs.map((r) => r.stderr).join("\n")).toHaveLength(1)
    const winner = runs.indexOf(created[0]!) % 2
    runs.forEach((r, k) => {
      if (r === created[0]) return
      if (k % 2 === winner) {
        expect(r.code, r.stderr).toBe(0)
        expect(r.messages).toEqual([`${q(i.name)} control plane already exists`])
      } else {
        expect(r.code, r.stderr).toBe(1)
        expect(r.stderr).toContain("already exists with different settings")
      }
    })
  }, 60_000)

  it("10 concurrent svc start → exactly one daemon, all exit 0; 10 concurrent svc stop → all exit 0", async () => {
    const i = instance()
    const starts = await Promise.all(Array.from({ length: 10 }, () => i.rdd(["svc", "start", "--timeout=60s"], { timeoutMs: 70_000 })))
    expect(starts.map((r) => r.code), starts.map((r) => r.stderr).join("\n")).toEqual(Array(10).fill(0))
    for (const r of starts) expect(r.messages.at(-1)).toBe(`${q(i.name)} control plane is ready`)
    expect(i.pids()).toHaveLength(1)
    expect(starts.filter((r) => r.messages.includes(`starting ${q(i.name)} control plane`))).toHaveLength(1)
    expect(starts.filter((r) => r.messages.includes(`successfully created ${q(i.name)} control plane`))).toHaveLength(1)
    // one spawn = one rotation: the first start had no log to rotate, so there is no backup
    expect(fs.readdirSync(i.logDir).filter((f) => /^rdd\.stderr\.[0-9]+\.log$/.test(f))).toEqual([])

    const stops = await Promise.all(Array.from({ length: 10 }, () => i.rdd(["svc", "stop", "--timeout=60s"], { timeoutMs: 70_000 })))
    expect(stops.map((r) => r.code)).toEqual(Array(10).fill(0))
    expect(i.pids()).toHaveLength(0)
  }, 120_000)

  it("a stale pid file never blocks a start: dead pid, pid reused by another program, garbage", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "create"])).code).toBe(0)
    const pidFile = path.join(i.dir, "rdd.pid")
    const { spawn } = await import("node:child_process")
    const other = spawn("sleep", ["60"], { stdio: "ignore" })
    try {
      const dead = spawn("true")
      await new Promise((r) => dead.once("exit", r))
      for (const content of [String(dead.pid), String(other.pid), "garbage\n"]) {
        fs.writeFileSync(pidFile, content)
        const start = await i.rdd(["svc", "start"])
        expect(start.code, `${content}: ${start.stderr}`).toBe(0)
        expect(start.messages).toContain(`starting ${q(i.name)} control plane`)
        const stop = await i.rdd(["svc", "stop"])
        expect(stop.code).toBe(0)
        expect(stop.messages).toEqual([`${q(i.name)} control plane has stopped`])
      }
      // the pid-reuse case never signalled the unrelated program
      fs.writeFileSync(pidFile, String(other.pid))
      expect((await i.rdd(["svc", "stop"])).messages).toEqual([`${q(i.name)} control plane is already stopped`])
      expect(await isAlive(other.pid!)).toBe(true)
    } finally {
      other.kill("SIGKILL")
    }
  }, 90_000)

  it("port taken → fallback port used by the kubeconfig and by readiness", async () => {
    const i = instance()
    // the test holds a port the OS gave it and configures the instance for exactly that port
    // (an instance's default port can collide with another test's daemon running in parallel)
    const blocker = net.createServer()
    const port = await new Promise<number>((resolve, reject) =>
      blocker.once("error", reject).listen(0, "127.0.0.1", () => resolve((blocker.address() as net.AddressInfo).port)))
    expect((await i.rdd(["svc", "create", `--secure-port=${port}`])).code).toBe(0)
    try {
      const start = await i.rdd(["svc", "start"])
      expect(start.code, start.stderr).toBe(0)
      const actual = serverPort(path.join(i.dir, "config.yaml"))
      expect(actual).not.toBe(port)
      expect(actual).toBeGreaterThan(0)
      const ctl = await i.rdd(["ctl", "get", "ns", "rdd-system", "-o", "name"])
      expect(ctl.code, ctl.stderr).toBe(0)
      expect((await i.rdd(["svc", "stop"])).code).toBe(0)
    } finally {
      blocker.close()
    }
  }, 60_000)

  it("RDD_KEEP_LOGS: rotated logs are all kept and delete keeps the log dir; without it, the 5 newest", async () => {
    for (const keep of [true, false]) {
      const i = instance(keep ? { RDD_KEEP_LOGS: "1" } : {})
      fs.mkdirSync(i.logDir, { recursive: true })
      for (let n = 1; n <= 8; n++) fs.writeFileSync(path.join(i.logDir, `rdd.stderr.${n}.log`), `old ${n}\n`)
      fs.writeFileSync(path.join(i.logDir, "rdd.stderr.log"), "previous run\n")
      expect((await i.rdd(["svc", "start", "--wait=false"])).code).toBe(0)
      const backups = fs.readdirSync(i.logDir).filter((f) => /^rdd\.stderr\.[0-9]+\.log$/.test(f)).sort()
      expect(fs.readFileSync(path.join(i.logDir, "rdd.stderr.9.log"), "utf8")).toBe("previous run\n")
      if (keep) expect(backups).toHaveLength(9)
      else expect(backups.map((f) => Number(f.split(".")[2])).sort((a, b) => a - b)).toEqual([5, 6, 7, 8, 9])
      const del = await i.rdd(["svc", "delete"])
      expect(del.code, del.stderr).toBe(0)
      expect(fs.existsSync(i.logDir)).toBe(keep)
      expect(fs.existsSync(i.dir)).toBe(false)
    }
  }, 90_000)

  it("Ctrl-C while svc start waits: exit 130, a warning names the daemon left starting, and it can be stopped", async () => {
    const i = instance()
    const starter = i.spawnRdd(["svc", "start", "-o", "json"])
    let err = ""
    let out = ""
    starter.stderr!.setEncoding("utf8").on("data", (c: string) => (err += c))
    starter.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c))
    const exited = new Promise<number | null>((resolve) => starter.once("close", (code) => resolve(code)))
    await until("the start to spawn the daemon", () => messagesOf(err).some((m) => m.msg === `starting ${q(i.name)} control plane`))
    starter.kill("SIGINT")
    expect(await exited, err).toBe(130)
    const warning = messagesOf(err).find((m) => m.level === "warning")
    expect(warning?.msg, err).toMatch(/^interrupted while waiting for .+; the .+ control plane keeps starting in the background \(pid \d+\)$/)
    expect(warning?.msg).toContain(`the ${q(i.name)} control plane keeps starting`)
    const pid = Number(/\(pid (\d+)\)$/.exec(warning!.msg)![1])
    // and the one JSON record says the same
    const left = warning!.msg.slice(warning!.msg.indexOf("; ") + 2)
    expect(JSON.parse(out)).toMatchObject({ command: "svc start", outcome: "interrupted", exitCode: 130, leftBehind: left })
    await until("the daemon it names to own the instance", () => i.pids().includes(pid))
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  }, 60_000)

  it("svc log -f follows the log across a restart", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "start"])).code).toBe(0)
    const follower = i.spawnRdd(["svc", "log", "-f"])
    let out = ""
    follower.stdout!.setEncoding("utf8").on("data", (c: string) => (out += c))
    const firstPid = i.pids()[0]!
    await until("the first run's log lines", () => out.includes(`pid ${firstPid}`))
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
    expect((await i.rdd(["svc", "start"])).code).toBe(0)
    const secondPid = i.pids()[0]!
    expect(secondPid).not.toBe(firstPid)
    await until("the second run's log lines", () => out.includes(`pid ${secondPid}`))
    follower.kill("SIGINT")
    const whole = await i.rdd(["svc", "log"])
    expect(whole.code).toBe(0)
    expect(whole.stdout).toContain(`pid ${secondPid}`)
    expect(whole.stdout).not.toContain(`pid ${firstPid}`) // only the current file
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  }, 60_000)

  it("a daemon that dies during startup: `control plane exited while waiting` (exit 1) long before the deadline", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "create"])).code).toBe(0)
    fs.writeFileSync(path.join(i.dir, "rdd.sqlite3"), "this is not a database, and the daemon cannot open it\n".repeat(100))
    const start = await i.rdd(["svc", "start", "--timeout=60s"])
    expect(start.code).toBe(1)
    expect(start.stderr).toContain("control plane exited while waiting")
    expect(start.stderr).toContain("rdd.stderr.log")
    expect(start.ms).toBeLessThan(15_000)
    const config = await i.rdd(["svc", "config"])
    expect(config.code).toBe(1)
    expect(config.stderr).toContain("control plane exited while waiting")
  }, 60_000)

  it("start with different --controllers or --secure-port than the running daemon → exit 1 (no silent reuse)", async () => {
    const i = instance()
    expect((await i.rdd(["svc", "start", "--controllers=*"])).code).toBe(0)
    const pid = i.pids()
    const other = await i.rdd(["svc", "start", "--controllers=-limavm"])
    expect(other.code).toBe(1)
    expect(other.stderr).toContain("already running with other settings")
    expect(other.stderr).toContain("rdd svc stop")
    const port = await i.rdd(["svc", "start", "--secure-port=1"])
    expect(port.code).toBe(1)
    expect((await i.rdd(["svc", "start", "--controllers=*"])).code).toBe(0) // the same selection is fine
    expect(i.pids()).toEqual(pid)
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  }, 60_000)

  it("stop and delete right after start --wait=false stop the daemon that is still loading (the signal is not lost)", async () => {
    for (const verb of ["stop", "delete", "stop", "delete"]) {
      const i = instance()
      expect((await i.rdd(["svc", "start", "--wait=false"])).code).toBe(0)
      const r = await i.rdd(["svc", verb, "--timeout=20s"])
      expect(r.code, r.stderr).toBe(0)
      expect(i.pids(), `no daemon left after ${verb}`).toEqual([])
    }
  }, 120_000)

  it("svc start --wait=false returns at once; a later svc start waits for readiness", async () => {
    const i = instance()
    const quick = await i.rdd(["svc", "start", "--wait=false", "--timeout=1ms", "-o", "json"])
    expect(quick.code).toBe(0)
    expect(quick.messages).toEqual([
      `successfully created ${q(i.name)} control plane`,
      `starting ${q(i.name)} control plane`,
      `${q(i.name)} control plane is starting`
    ])
    expect(JSON.parse(quick.stdout)).toMatchObject({ outcome: "starting", exitCode: 0 })
    const wait = await i.rdd(["svc", "start"])
    expect(wait.code).toBe(0)
    expect(wait.messages.at(-1)).toBe(`${q(i.name)} control plane is ready`)
    expect(i.pids()).toHaveLength(1)
    expect((await i.rdd(["svc", "stop"])).code).toBe(0)
  }, 60_000)
})
