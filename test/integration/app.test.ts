/**
 * `rdd set` / `rdd start` / `rdd stop` on the real daemon (autostarted by the
 * CLI), with the App's VM booted by the real QEMU driver from the tiny test
 * guest (`npm run -s test-image`, saved on the App from RDD_APP_TEMPLATE by the command that creates it).
 * Each block has its own HOME and instance; everything started is stopped by
 * pid in afterAll. At most one guest per block, one block at a time.
 */
import { execFileSync, spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { uniqueSuffix } from "../support/daemon.js"
import { messages, rddBin, runRdd, tempHome, type RunResult } from "../support/rdd.js"
import { isAlive } from "../support/process.js"

const root = path.resolve(import.meta.dirname, "../..")

const testImage = (variant: "booting" | "never-boots"): string =>
  execFileSync("npm", ["run", "-s", "test-image", ...(variant === "never-boots" ? ["--", "--never-boots"] : [])], {
    cwd: root,
    encoding: "utf8",
    timeout: 600_000
  }).trim()

interface Instance {
  readonly home: string
  readonly suffix: string
  readonly rdd: (args: ReadonlyArray<string>, timeoutMs?: number) => Promise<RunResult>
  readonly cleanup: () => Promise<void>
}

const daemonPid = (home: string, suffix: string): number | undefined => {
  try {
    const pid = Number(readFileSync(path.join(home, ".local", "share", `rancher-desktop-${suffix}`, "rdd.pid"), "utf8").trim())
    return Number.isInteger(pid) && pid > 0 ? pid : undefined
  } catch {
    return undefined
  }
}

/** QEMU processes of this instance's VMs: their command line names `~/.rd<suffix>/lima/`. */
const qemuOf = (home: string, suffix: string): ReadonlyArray<{ readonly pid: number; readonly args: string }> => {
  const marker = path.join(home, `.rd${suffix}`, "lima")
  const out = execFileSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" })
  return out.split("\n").flatMap((line) => {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line)
    return m !== null && m[2]!.includes("qemu-system") && m[2]!.includes(marker) ? [{ pid: Number(m[1]), args: m[2]! }] : []
  })
}

const instance = (env: Record<string, string> = {}): Instance => {
  const { home, cleanup } = tempHome("rdd-app-")
  const suffix = uniqueSuffix()
  const rdd = (args: ReadonlyArray<string>, timeoutMs = 120_000) =>
    runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info", ...env }, timeoutMs })
  return {
    home,
    suffix,
    rdd,
    cleanup: async () => {
      const pid = daemonPid(home, suffix)
      if (pid !== undefined && isAlive(pid)) {
        process.kill(pid, "SIGCONT")
        await rdd(["svc", "stop", "--timeout=60s"], 70_000)
      }
      // whatever is still there was started by this test: end it by pid
      for (const p of [daemonPid(home, suffix), ...qemuOf(home, suffix).map((q) => q.pid)]) {
        if (p !== undefined && isAlive(p)) process.kill(p, "SIGKILL")
      }
      cleanup()
    }
  }
}

const appJson = async (i: Instance) => {
  const r = await i.rdd(["ctl", "get", "apps", "-o", "json"])
  expect(r.code, r.stderr).toBe(0)
  return JSON.parse(r.stdout) as { items: Array<{ metadata: { generation: number }; spec: Record<string, unknown>; status?: { conditions?: Array<Record<string, unknown>> } }> }
}

const settledOf = (app: { status?: { conditions?: Array<Record<string, unknown>> } }) =>
  app.status?.conditions?.find((c) => c["type"] === "Settled")

describe("the App with a real QEMU guest", () => {
  let i: Instance
  beforeAll(() => {
    i = instance({ RDD_APP_TEMPLATE: testImage("booting") })
  }, 600_000)
  afterAll(async () => {
    await i.cleanup()
  }, 120_000)

  it("rdd set running=true boots the VM and exits 0 only once Settled=True at the new generation", async () => {
    const r = await i.rdd(["set", "running=true", "--timeout=150s"], 170_000)
    expect(r.code, r.stderr).toBe(0)
    const msgs = messages(r.stderr)
    expect(msgs).toContain("App created")
    expect(msgs).toContain("Running=True: Lima instance is running (Started)")
    expect(msgs.at(-2)).toBe("Settled=True: App has reached the desired state (Settled)")
    expect(msgs.at(-1)).toBe("App has settled")
    // every line before the final Settled=True said "not yet"
    expect(msgs.filter((m) => m.startsWith("Settled=True"))).toHaveLength(1)
    const [app] = (await appJson(i)).items
    expect(app!.metadata.generation).toBe(1)
    expect(settledOf(app!)).toMatchObject({ status: "True", observedGeneration: 1 })
    const qemu = qemuOf(i.home, i.suffix)
    expect(qemu).toHaveLength(1)
    expect(qemu[0]!.args).toMatch(/-smp 1\b/)
  }, 180_000)

  it("rdd set virtualMachine.cpus=2 restarts the VM with 2 CPUs and waits for it", async () => {
    const before = qemuOf(i.home, i.suffix)
    const r = await i.rdd(["set", "virtualMachine.cpus=2", "--timeout=150s"], 170_000)
    expect(r.code, r.stderr).toBe(0)
    expect(messages(r.stderr)).toContain("Settled=False: Applying the configuration change to the VM (ApplyingTemplate)")
    const after = qemuOf(i.home, i.suffix)
    expect(after).toHaveLength(1)
    expect(after[0]!.args).toMatch(/-smp 2\b/)
    expect(after[0]!.pid).not.toBe(before[0]?.pid)
    const [app] = (await appJson(i)).items
    expect(app!.spec["virtualMachine"]).toEqual({ cpus: 2 })
    expect(settledOf(app!)).toMatchObject({ status: "True", observedGeneration: app!.metadata.generation })
  }, 180_000)

  it("rdd stop stops the VM (and a second stop is a no-op that succeeds)", async () => {
    const r = await i.rdd(["stop", "--timeout=120s", "-o", "json"], 140_000)
    expect(r.code, r.stderr).toBe(0)
    expect(JSON.parse(r.stdout)).toMatchObject({ command: "stop", outcome: "stopped", exitCode: 0 })
    expect(qemuOf(i.home, i.suffix)).toHaveLength(0)
    const [app] = (await appJson(i)).items
    expect(app!.spec["running"]).toBe(false)
    const again = await i.rdd(["stop", "--timeout=60s"])
    expect(again.code, again.stderr).toBe(0)
  }, 180_000)

  it("rdd start boots it again (same settings: 2 CPUs)", async () => {
    const r = await i.rdd(["start", "--timeout=150s"], 170_000)
    expect(r.code, r.stderr).toBe(0)
    expect(messages(r.stderr).at(-1)).toBe("App has settled")
    const qemu = qemuOf(i.home, i.suffix)
    expect(qemu).toHaveLength(1)
    expect(qemu[0]!.args).toMatch(/-smp 2\b/)
  }, 180_000)

  it("deleting the App removes its LimaVM, the VM and its template, then the App (finalizers)", async () => {
    const r = await i.rdd(["ctl", "delete", "app", "app", "--timeout=120s"], 140_000)
    expect(r.code, r.stderr).toBe(0)
    expect((await appJson(i)).items).toHaveLength(0)
    const vms = await i.rdd(["ctl", "get", "limavms", "-A", "-o", "name"])
    expect(vms.code, vms.stderr).toBe(0)
    expect(vms.stdout.trim()).toBe("")
    const cms = await i.rdd(["ctl", "get", "configmaps", "-n", "default", "-o", "name"])
    expect(cms.stdout).not.toMatch(/configmap\/rd(-template)?\b/)
    expect(qemuOf(i.home, i.suffix)).toHaveLength(0)
  }, 180_000)
})

describe("rdd set when the control plane runs without the limavm controller", () => {
  let i: Instance
  beforeAll(() => {
    i = instance()
  })
  afterAll(async () => {
    await i.cleanup()
  }, 120_000)

  it("fails at once (exit 1) saying that the limavm controller is needed", async () => {
    const up = await i.rdd(["svc", "start", "--controllers=app"])
    expect(up.code, up.stderr).toBe(0)
    const started = Date.now()
    const r = await i.rdd(["set", "running=true", "--timeout=60s"], 70_000)
    expect(r.code, r.stderr).toBe(1)
    expect(Date.now() - started).toBeLessThan(20_000)
    expect(messages(r.stderr).join("\n")).toMatch(/the limavm controller is not enabled in this control plane/)
  }, 90_000)
})

describe("rdd set without a VM: dry run, stop without an App, argument and value errors", () => {
  let i: Instance
  beforeAll(() => {
    // the built-in template: a Debian cloud image URL, whose host these machines cannot reach
    i = instance({ RDD_APP_TEMPLATE: "" })
  })
  afterAll(async () => {
    await i.cleanup()
  }, 120_000)

  it("malformed arguments exit 2 before anything is started", async () => {
    for (const arg of ["foo", "=x"]) {
      const r = await i.rdd(["set", arg])
      expect(r.code, `${arg}: ${r.stderr}`).toBe(2)
    }
    expect(messages((await i.rdd(["set", "foo"])).stderr)).toContain(`invalid argument "foo": expected PROPERTY=VALUE format`)
    expect(daemonPid(i.home, i.suffix)).toBeUndefined()
  }, 60_000)

  const setHelp = async () => {
    const r = await i.rdd(["set", "--help"])
    expect(r.code, r.stderr).toBe(0)
    const help = r.stdout.replace(/\x1b\[[0-9;]*m/g, "")
    expect(help).toContain("Available properties:")
    expect(help).toMatch(/virtualMachine\.cpus\s+\(integer\)\s+Number of virtual CPUs of the VM/)
    expect(help).toMatch(/containerEngine\.name\s+\(moby\|containerd\)/)
    expect(help.toLowerCase()).not.toContain("namespace")
    return help
  }

  it("rdd set --help with no control plane: the built-in CRD's properties, and nothing is started", async () => {
    expect(daemonPid(i.home, i.suffix)).toBeUndefined()
    await setHelp()
    expect(daemonPid(i.home, i.suffix)).toBeUndefined()
  }, 60_000)

  it("rdd set --help with a running control plane: the properties of the CRD it serves", async () => {
    const started = await i.rdd(["svc", "start"])
    expect(started.code, started.stderr).toBe(0)
    const patched = await i.rdd(["ctl", "patch", "crd", "apps.app.rancherdesktop.io", "--type=json", "-p",
      JSON.stringify([{ op: "replace", path: "/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/running/description", value: "Served by this daemon." }])])
    expect(patched.code, patched.stderr).toBe(0)
    expect(await setHelp()).toMatch(/running\s+\(boolean\)\s+Served by this daemon\./)
  }, 120_000)

  it("rdd set --dry-run on an instance without an App leaves no App behind", async () => {
    const r = await i.rdd(["set", "--dry-run", "running=true", "virtualMachine.cpus=2", "-o", "json"])
    expect(r.code, r.stderr).toBe(0)
    expect(messages(r.stderr)).toContain("App validated (dry run)")
    expect(JSON.parse(r.stdout)).toMatchObject({ command: "set", outcome: "noop", exitCode: 0 })
    expect((await appJson(i)).items).toHaveLength(0)
    // and a dry run still reports what the server would refuse
    const bad = await i.rdd(["set", "--dry-run", "kubernetes.version=0.0.1"])
    expect(bad.code, bad.stderr).toBe(3)
    expect((await appJson(i)).items).toHaveLength(0)
  }, 120_000)

  it("rdd stop without an App says so, exits 0 and creates nothing", async () => {
    const r = await i.rdd(["stop"])
    expect(r.code, r.stderr).toBe(0)
    expect(messages(r.stderr)).toContain("App does not exist; nothing to stop")
    expect((await appJson(i)).items).toHaveLength(0)
  }, 60_000)

  it("values the server refuses exit 3 with its message", async () => {
    const cases: ReadonlyArray<readonly [string, RegExp]> = [
      ["kubernetes.version=0.0.1", /spec\.kubernetes\.version "0\.0\.1" is not supported/],
      ["containerEngine.name=podman", /invalid value "podman" for "containerEngine\.name": valid values: moby, containerd/],
      ["nosuch.property=1", /unknown property "nosuch"; valid properties: containerEngine\.name, kubernetes\.enabled/],
      ["namespace=x", /unknown property "namespace"/],
      ["virtualMachine.cpus=100", /spec\.virtualMachine\.cpus in body should be less than or equal to 64/]
    ]
    for (const [arg, message] of cases) {
      const r = await i.rdd(["set", "--wait=false", arg])
      expect(r.code, `${arg}: ${r.stderr}`).toBe(3)
      expect(messages(r.stderr).join("\n")).toMatch(message)
    }
    expect((await appJson(i)).items).toHaveLength(0)
  }, 120_000)

  it("a VM that cannot be created fails the wait at once (exit 1) with the driver's reason", async () => {
    const started = Date.now()
    const r = await i.rdd(["set", "running=true", "--timeout=60s"], 70_000)
    expect(r.code, r.stderr).toBe(1)
    expect(Date.now() - started).toBeLessThan(20_000)
    // the built-in template's digest-pinned Debian image; these machines cannot reach its host
    expect(messages(r.stderr).at(-1)).toMatch(/^App cannot settle: .*cannot download https:\/\/cloud\.debian\.org\/\S+\.qcow2: .* \(CreateFailed\)$/)
  }, 90_000)
})

describe("rdd set timeouts", () => {
  let i: Instance
  beforeAll(() => {
    i = instance({ RDD_APP_TEMPLATE: testImage("never-boots") })
  }, 600_000)
  afterAll(async () => {
    await i.cleanup()
  }, 120_000)

  it("exit 4 at --timeout when the guest never boots", async () => {
    const up = await i.rdd(["svc", "start"])
    expect(up.code, up.stderr).toBe(0)
    const started = Date.now()
    const r = await i.rdd(["set", "running=true", "--timeout=2s", "-o", "json"])
    expect(r.code, r.stderr).toBe(4)
    expect(Date.now() - started).toBeLessThan(15_000)
    expect(messages(r.stderr).join("\n")).toMatch(/timed out after 2s waiting for App to settle \(generation 1\): context deadline exceeded/)
    expect(JSON.parse(r.stdout)).toMatchObject({ command: "set", outcome: "timeout", exitCode: 4 })
  }, 60_000)

  it("Ctrl-C while waiting exits 130", async () => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, HOME: i.home, RDD_INSTANCE: i.suffix, RDD_LOG_LEVEL: "info" })) if (v !== undefined) env[k] = v
    const child = spawn(process.execPath, [rddBin, "set", "virtualMachine.memoryInGB=1", "--timeout=0"], { env, stdio: ["ignore", "ignore", "pipe"] })
    const code = new Promise<number | null>((resolve) => child.once("close", (c) => resolve(c)))
    let stderr = ""
    const waiting = new Promise<void>((resolve) =>
      child.stderr.on("data", (d: Buffer) => {
        stderr += d.toString()
        if (stderr.includes("Waiting for App to settle")) resolve()
      }))
    const bound = setTimeout(() => child.kill("SIGKILL"), 30_000)
    await Promise.race([waiting, code])
    child.kill("SIGINT")
    expect(await code, stderr).toBe(130)
    clearTimeout(bound)
  }, 60_000)

  it("exit 4 at the autostart cap when the daemon is frozen (SIGSTOP), and works again after SIGCONT", async () => {
    const up = await i.rdd(["svc", "start"])
    expect(up.code, up.stderr).toBe(0)
    const pid = daemonPid(i.home, i.suffix)
    expect(pid).toBeDefined()
    process.kill(pid!, "SIGSTOP")
    try {
      const r = await i.rdd(["set", "running=false", "--timeout=3s"], 30_000)
      expect(r.code, r.stderr).toBe(4)
      // autostart's budget is min(90s, what remains of the command's deadline)
      expect(messages(r.stderr).join("\n")).toMatch(/timed out after 3s waiting for "rancher-desktop-[^"]+" control plane to be ready: context deadline exceeded/)
    } finally {
      process.kill(pid!, "SIGCONT")
    }
    const r = await i.rdd(["stop", "--timeout=60s"])
    expect(r.code, r.stderr).toBe(0)
    expect(qemuOf(i.home, i.suffix)).toHaveLength(0)
  }, 120_000)
})
