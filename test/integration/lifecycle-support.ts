/**
 * Support for the lifecycle integration tests: `rdd` runs of the built CLI in a
 * temp HOME with a unique instance (builds swap atomically, so the tests run
 * bin/rdd.mjs itself),
 * log-message extraction (logrus text, as scripts of the Go tool parse it), and
 * cleanup by pid of every daemon of the instances a test used — bounded, and
 * thawing frozen ones first.
 */
import { execFile, spawn, type ChildProcess } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Effect } from "effect"
import { afterEach } from "vitest"
import * as NodeProcessManager from "../../src/layers/NodeProcessManager.js"
import type { SignalKind } from "../../src/services/ProcessManager.js"
import { rddBin } from "../support/rdd.js"


/**
 * Registers the file's cleanup hook and returns a maker of fresh instances: each
 * test's instances are cleaned up after it (daemons stopped by pid, HOME removed).
 */
export const useInstances = (cleanupTimeoutMs: number) => {
  const used: Array<Instance> = []
  afterEach(async () => {
    await Promise.all(used.splice(0).map((i) => i.cleanup()))
  }, cleanupTimeoutMs)
  return (env: Record<string, string> = {}): Instance => {
    const i = makeInstance(rddBin, env)
    used.push(i)
    return i
  }
}

export interface Run {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** the msg of every logrus text line, unescaped */
  readonly messages: ReadonlyArray<string>
  readonly levels: ReadonlyArray<string>
  readonly ms: number
}

export const messagesOf = (stderr: string): Array<{ level: string; msg: string }> =>
  stderr.split("\n").flatMap((line) => {
    const m = /level=(\w+) msg=("(?:[^"\\]|\\.)*"|\S*)$/.exec(line)
    if (m === null) return []
    const raw = m[2]!
    return [{ level: m[1]!, msg: raw.startsWith("\"") ? (JSON.parse(raw) as string) : raw }]
  })

export interface Instance {
  readonly home: string
  readonly suffix: string
  readonly name: string
  readonly dir: string
  readonly logDir: string
  readonly shortDir: string
  readonly rdd: (args: ReadonlyArray<string>, options?: { readonly timeoutMs?: number; readonly env?: Record<string, string> }) => Promise<Run>
  /** a long-running rdd (e.g. `svc log -f`); stopped by cleanup */
  readonly spawnRdd: (args: ReadonlyArray<string>) => ChildProcess
  readonly pids: () => ReadonlyArray<number>
  readonly cleanup: () => Promise<void>
}

let counter = 0

/** pids of live `svc serve` daemons of this instance (by /proc cmdline) */
const daemonPids = (suffix: string): Array<number> =>
  fs.readdirSync("/proc").filter((e) => /^[0-9]+$/.test(e)).flatMap((e) => {
    try {
      const argv = fs.readFileSync(`/proc/${e}/cmdline`, "utf8").split("\0")
      const i = argv.indexOf("--instance")
      const s = argv.indexOf("serve")
      return i >= 0 && argv[i + 1] === suffix && s > 0 && (argv[s - 1] === "svc" || argv[s - 1] === "service") ? [Number(e)] : []
    } catch {
      return []
    }
  })

export const signal = (pid: number, kind: SignalKind) => Effect.runPromise(NodeProcessManager.make.signal(pid, kind))
export const isAlive = (pid: number) => Effect.runPromise(NodeProcessManager.make.isAlive(pid))

/** Waits for `check` with a bound (no blind sleeps: checks every 50ms, fails at the bound). */
export const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> => {
  const end = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs}ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export const makeInstance = (bin: string, env: Record<string, string> = {}): Instance => {
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-lc-"))
  const suffix = `lc${process.pid.toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 5)}`
  const name = `rancher-desktop-${suffix}`
  const children = new Set<ChildProcess>()
  const baseEnv = { ...process.env, HOME: home, RDD_LOG_LEVEL: "info", ...env }
  delete (baseEnv as Record<string, string | undefined>)["RDD_INSTANCE"]
  delete (baseEnv as Record<string, string | undefined>)["RDD_LOG_ROOT"]
  const rdd: Instance["rdd"] = (args, options = {}) =>
    new Promise((resolve) => {
      const started = Date.now()
      const child = execFile(process.execPath, [bin, "--instance", suffix, ...args], {
        env: { ...baseEnv, ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        killSignal: "SIGKILL",
        maxBuffer: 16 * 1024 * 1024
      }, (error, stdout, stderr) => {
        children.delete(child)
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null
        const parsed = messagesOf(stderr)
        resolve({ code, stdout, stderr, messages: parsed.map((p) => p.msg), levels: parsed.map((p) => p.level), ms: Date.now() - started })
      })
      children.add(child)
    })
  return {
    home,
    suffix,
    name,
    dir: path.join(home, ".local", "share", name),
    logDir: path.join(home, ".local", "state", name),
    shortDir: path.join(home, `.rd${suffix}`),
    rdd,
    spawnRdd: (args) => {
      const child = spawn(process.execPath, [bin, "--instance", suffix, ...args], { env: baseEnv, stdio: ["ignore", "pipe", "pipe"] })
      children.add(child)
      child.once("exit", () => children.delete(child))
      return child
    },
    pids: () => daemonPids(suffix),
    cleanup: async () => {
      for (const c of children) c.kill("SIGKILL")
      for (const pid of daemonPids(suffix)) {
        await signal(pid, "thaw")
        await signal(pid, "kill")
      }
      await until("the instance's daemons to be gone", () => daemonPids(suffix).length === 0, 10_000)
      fs.rmSync(home, { recursive: true, force: true })
    }
  }
}

export const q = (name: string) => `"${name}"`
