/**
 * `rdd ctl` on a ready control plane, run by the bin without Effect
 * (src/plain/ctl.ts) against a real daemon and its readiness socket
 * (domain/ReadySignal.ts): the socket names the daemon's run and its kubeconfig while
 * it is ready, and no longer once it stops or dies; anything in doubt (a changed
 * kubeconfig among them) is left to the full path; the
 * bin runs kubectl with the instance's kubeconfig and passes its exit code on.
 *
 * "Without Effect" is shown by a copy of the bin that has only the shim and plain.js:
 * it runs `ctl get ns` on the ready daemon, and fails (main.js is missing) when the
 * command needs the full path, e.g. on a frozen daemon.
 */
import * as Either from "effect/Either"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AskBound, plan } from "../../src/plain/ctl.js"
import { read } from "../../src/plain/daemon.js"
import * as Instance from "../../src/domain/Instance.js"
import * as ReadyProbe from "../../src/layers/ReadyProbe.js"
import { startDaemon, stopAll, type TestDaemon } from "../support/daemon.js"
import { shimOnlyCopy } from "../support/plainBin.js"
import { rddBin, runRdd } from "../support/rdd.js"

let d: TestDaemon
let scratch: string
const env = { ...process.env, RDD_DEVELOPER_MODE: "false" }

const pathsOf = (daemon: TestDaemon) => Instance.paths(Either.getOrThrow(Instance.make(daemon.suffix)), { home: daemon.home, platform: "linux" })
const startIdOf = (daemon: TestDaemon): string => JSON.parse(fs.readFileSync(pathsOf(daemon).run_file, "utf8")).startId
const planFor = (daemon: TestDaemon, args: ReadonlyArray<string>, extraEnv: Record<string, string> = {}) => {
  const host = { env: { ...env, ...extraEnv }, script: rddBin, pathEnv: { home: daemon.home, platform: "linux" as const } }
  return plan(read(args, host), host)
}

/** The socket opens right after the ready annotation that startDaemon waits for: ask until it answers (bounded). */
const socketAnswer = async (daemon: TestDaemon): Promise<string | undefined> => {
  for (let i = 0; i < 100; i++) {
    const answer = await ReadyProbe.ask(pathsOf(daemon).ready_socket, AskBound)
    if (answer !== undefined) return answer.startId
    await new Promise((r) => setTimeout(r, 50))
  }
  return undefined
}

beforeAll(async () => {
  d = await startDaemon()
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-ctl-ready-"))
}, 60_000)
afterAll(async () => {
  await stopAll()
  fs.rmSync(scratch, { recursive: true, force: true })
}, 60_000)

describe("rdd ctl on a ready control plane", () => {
  it("the readiness socket names the daemon's run, and the plan is kubectl with the instance's kubeconfig", async () => {
    expect(await socketAnswer(d)).toBe(startIdOf(d))
    expect(fs.statSync(pathsOf(d).ready_socket).mode & 0o077).toBe(0)
    expect(await planFor(d, ["--instance", d.suffix, "ctl", "get", "ns", "-o", "name"])).toEqual({
      kind: "kubectl",
      kubectl: expect.stringMatching(/kubectl$/),
      args: ["get", "ns", "-o", "name"],
      kubeconfig: d.kubeconfig
    })
    // the instance may come from RDD_INSTANCE too, and kubectl's own `--` and flags are its own
    expect(await planFor(d, ["ctl", "--", "get", "--instance", "x"], { RDD_INSTANCE: d.suffix })).toMatchObject({ kind: "kubectl", args: ["get", "--instance", "x"] })
  }, 30_000)

  it("leaves every doubtful command line to the full path", async () => {
    const cases: ReadonlyArray<[ReadonlyArray<string>, Record<string, string>, string]> = [
      [["--instance", d.suffix, "--log-level=debug", "ctl", "get", "ns"], {}, "log level debug"],
      [["--instance", d.suffix, "ctl", "get", "ns"], { RDD_LOG_LEVEL: "trace" }, "log level trace"],
      [["--instance", d.suffix, "ctl", "wait-condition", "x"], {}, "not a plain ctl command line"],
      [["--instance", d.suffix, "svc", "status"], {}, "not a plain ctl command line"],
      [["--instance", "other-instance", "ctl", "get", "ns"], {}, "no daemon of this instance runs"],
      [["--instance", d.suffix, "ctl", "get", "ns"], { RDD_KUBECTL: path.join(scratch, "no-such-kubectl") }, "no kubectl"],
      [["--instance", "bad/name", "ctl", "get", "ns"], {}, "the global flags need the full path's usage error"]
    ]
    for (const [args, extra, why] of cases) expect(await planFor(d, args, extra), args.join(" ")).toEqual({ kind: "full", why })
  }, 30_000)

  it("the bin runs kubectl itself: output and exit code passed on", async () => {
    const ok = await runRdd(["--instance", d.suffix, "ctl", "get", "ns", "-o", "name"], { home: d.home, env })
    expect(ok.code, ok.stderr).toBe(0)
    expect(ok.stdout).toContain("namespace/default")
    expect(ok.stderr).toBe("")
    const missing = await runRdd(["--instance", d.suffix, "ctl", "get", "ns", "no-such-namespace"], { home: d.home, env })
    expect(missing.code).toBe(1)
    expect(missing.stderr).toContain(`namespaces "no-such-namespace" not found`)

    // a kubectl ended by a signal: 128 + its number, as the full path reports it
    const selfKill = path.join(scratch, "kubectl-self-kill")
    fs.writeFileSync(selfKill, "#!/bin/sh\nkill -TERM $$\n", { mode: 0o755 })
    const killed = await runRdd(["--instance", d.suffix, "ctl", "get", "ns"], { home: d.home, env: { ...env, RDD_KUBECTL: selfKill } })
    expect(killed.code).toBe(143)
  }, 60_000)

  it("SIGTERM to rdd ends kubectl and exits 130", async () => {
    const marker = path.join(scratch, "kubectl-pid")
    const slow = path.join(scratch, "kubectl-slow")
    fs.writeFileSync(slow, `#!/bin/sh\necho "$$ $KUBECONFIG $*" > ${marker}.tmp && mv ${marker}.tmp ${marker}\nexec sleep 60\n`, { mode: 0o755 })
    const child = spawn(process.execPath, [rddBin, "--instance", d.suffix, "ctl", "get", "pods"], {
      env: { ...env, HOME: d.home, RDD_KUBECTL: slow },
      stdio: "ignore"
    })
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))
    for (let i = 0; i < 200 && !fs.existsSync(marker); i++) await new Promise((r) => setTimeout(r, 50))
    const [pid, kubeconfig, ...args] = fs.readFileSync(marker, "utf8").trim().split(" ")
    expect(kubeconfig).toBe(d.kubeconfig)
    expect(args).toEqual(["get", "pods"])
    child.kill("SIGTERM")
    expect(await exited).toBe(130)
    // kubectl (the sleep it became) was ended too
    const gone = async () => {
      for (let i = 0; i < 100; i++) {
        try {
          process.kill(Number(pid), 0)
        } catch {
          return true
        }
        await new Promise((r) => setTimeout(r, 50))
      }
      return false
    }
    expect(await gone()).toBe(true)
  }, 60_000)

  it("needs no more than the shim and plain.js; a frozen daemon is left to the full path", async () => {
    // a copy of the bin with the shim and plain.js only: any use of main.js fails
    const copy = shimOnlyCopy(path.join(scratch, "bin"))
    const viaCopy = (args: ReadonlyArray<string>) => runRdd([copy, ...args], { home: d.home, env, bin: process.execPath, timeoutMs: 20_000 })
    const ready = await viaCopy(["--instance", d.suffix, "ctl", "get", "ns", "-o", "name"])
    expect(ready.code, ready.stderr).toBe(0)
    expect(ready.stdout).toContain("namespace/default")

    process.kill(d.pid, "SIGSTOP")
    try {
      const frozen = await viaCopy(["--instance", d.suffix, "ctl", "get", "ns", "-o", "name"])
      expect(frozen.code).not.toBe(0)
      expect(frozen.stderr).toContain("main.js")
      expect(frozen.ms).toBeGreaterThanOrEqual(AskBound)
    } finally {
      process.kill(d.pid, "SIGCONT")
    }
  }, 60_000)

  it("no answer once the daemon stops or dies; the next run's socket names the next run", async () => {
    const socket = pathsOf(d).ready_socket
    expect(await d.stop()).toBe(0)
    expect(fs.existsSync(socket)).toBe(false)
    expect(await planFor(d, ["--instance", d.suffix, "ctl", "get", "ns"])).toEqual({ kind: "full", why: "no daemon of this instance runs" })

    const again = await startDaemon({ home: d.home, suffix: d.suffix })
    expect(await socketAnswer(again)).toBe(startIdOf(again))
    process.kill(again.pid, "SIGKILL")
    await again.exited
    // the killed daemon's socket file is left behind, and refuses
    expect(fs.existsSync(socket)).toBe(true)
    expect(await ReadyProbe.ask(socket, AskBound)).toBeUndefined()

    const third = await startDaemon({ home: d.home, suffix: d.suffix })
    expect(await socketAnswer(third)).toBe(startIdOf(third))
    expect(await planFor(third, ["--instance", third.suffix, "ctl", "get", "ns"])).toMatchObject({ kind: "kubectl" })
    // a kubeconfig changed since the daemon wrote it (here: rewritten with the same text) is the full path's to judge
    fs.writeFileSync(third.kubeconfig, fs.readFileSync(third.kubeconfig))
    expect(await planFor(third, ["--instance", third.suffix, "ctl", "get", "ns"])).toEqual({ kind: "full", why: "the kubeconfig is not the one this run wrote" })
    const full = await runRdd(["--instance", third.suffix, "ctl", "get", "ns", "-o", "name"], { home: third.home, env })
    expect(full.code, full.stderr).toBe(0)
    expect(full.stdout).toContain("namespace/default")
    expect(await third.stop()).toBe(0)
  }, 120_000)
})
