/**
 * A SIGINT or SIGTERM at any moment of a daemon's startup stops it (SPEC 2.7).
 *
 * The daemon once replaced the runtime's signal listeners by removing them all
 * and adding its own: Node then closes the signal's libuv handle, and a signal
 * queued for that handle while startup code ran was dropped; the daemon came up
 * and kept running. Where in startup the signal lands depends on timing, so this
 * sweeps the delay across the whole startup (measured first on this machine),
 * alternating the two signals. Every daemon must be gone within a bound, by
 * whatever path its startup had reached (the default action, the runtime's
 * interruption, or the daemon's own graceful shutdown), and leave no pid file.
 */
import { afterAll, describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync } from "node:fs"
import * as path from "node:path"
import { rddBin, tempHome } from "../support/rdd.js"

const t = tempHome("rdd-sigstart-")
afterAll(() => t.cleanup())

const ExitBoundMs = 15_000
const Steps = 64

const serve = (suffix: string): ChildProcess => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("RDD_LOG")) env[k] = v
  delete env["RDD_INSTANCE"]
  env["HOME"] = t.home
  return spawn(process.execPath, [rddBin, "--instance", suffix, "svc", "serve"], { env, stdio: ["ignore", "ignore", "pipe"] })
}

interface Ended {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stderr: string
}

/** The child's end, or a SIGKILL and a failure after the bound. */
const ended = (child: ChildProcess): Promise<Ended> =>
  new Promise((resolve, reject) => {
    let stderr = ""
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      reject(new Error(`the daemon (pid ${child.pid}) was still running ${ExitBoundMs}ms after the signal:\n${stderr}`))
    }, ExitBoundMs)
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stderr })
    })
  })

const pidFile = (suffix: string) => path.join(t.home, ".local", "share", `rancher-desktop-${suffix}`, "rdd.pid")

/** ms from spawn until the daemon says it is ready (then it is stopped). */
const startupMs = async (): Promise<number> => {
  const child = serve("sigcal")
  const t0 = Date.now()
  const done = ended(child)
  await new Promise<void>((resolve) => {
    child.stderr!.on("data", (d: Buffer) => {
      if (d.toString().includes("control plane is ready")) resolve()
    })
  })
  const ms = Date.now() - t0
  child.kill("SIGINT")
  expect((await done).code).toBe(0)
  return ms
}

describe("a signal during startup", () => {
  it("at any moment, stops the daemon and leaves no pid file", async () => {
    const span = Math.ceil((await startupMs()) * 1.3)
    const outcomes: Array<string> = []
    for (let i = 0; i < Steps; i++) {
      const suffix = `sig${i}`
      const signal = i % 2 === 0 ? "SIGINT" : "SIGTERM"
      const child = serve(suffix)
      const done = ended(child)
      await new Promise((r) => setTimeout(r, Math.round((span * i) / (Steps - 1))))
      child.kill(signal)
      const e = await done
      // 0: graceful shutdown; 130: the runtime interrupted the command; killed: before any listener
      const how = e.signal !== null ? `killed by ${e.signal}` : `exit ${e.code}`
      expect([0, 130].includes(e.code ?? -1) || e.signal === signal, `${signal} at step ${i}: ${how}\n${e.stderr}`).toBe(true)
      expect(existsSync(pidFile(suffix)), `${signal} at step ${i} left ${pidFile(suffix)}`).toBe(false)
      outcomes.push(how)
    }
    // the sweep reached the daemon's own handling, not only the early exits
    expect(outcomes, outcomes.join(", ")).toContain("exit 0")
  }, 10 * 60_000)
})
