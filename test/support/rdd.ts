/**
 * Runs the built CLI (bin/rdd.mjs; `npm test` builds it first) as a child
 * process, the way a user or a script would, with a bounded run time.
 * `tempHome()` gives each test its own HOME so no test touches real state.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"

export const rddBin = path.resolve(import.meta.dirname, "../../bin/rdd.mjs")

export interface RunResult {
  readonly code: number | null
  readonly signal: NodeJS.Signals | null
  readonly stdout: string
  readonly stderr: string
  /** wall time of the run */
  readonly ms: number
}

export interface RunOptions {
  readonly home?: string
  readonly env?: Readonly<Record<string, string | undefined>>
  /** kill the CLI after this many ms (the test fails on a null code) */
  readonly timeoutMs?: number
  readonly input?: string
  /** run this program with `args` instead of rdd (e.g. script(1) to give rdd a terminal) */
  readonly bin?: string
}

export const runRdd = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<RunResult> =>
  new Promise((resolve, reject) => {
    const env: Record<string, string> = {}
    for (const [k, v] of Object.entries({ ...process.env, ...options.env })) if (v !== undefined) env[k] = v
    if (options.home !== undefined) env["HOME"] = options.home
    delete env["RDD_INSTANCE"]
    if (options.env?.["RDD_INSTANCE"] !== undefined) env["RDD_INSTANCE"] = options.env["RDD_INSTANCE"]
    const t0 = Date.now()
    const child = options.bin === undefined
      ? spawn(process.execPath, [rddBin, ...args], { env, stdio: ["pipe", "pipe", "pipe"] })
      : spawn(options.bin, args, { env, stdio: ["pipe", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()))
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()))
    child.stdin.end(options.input ?? "")
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000)
    child.once("error", reject)
    child.once("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, stdout, stderr, ms: Date.now() - t0 })
    })
  })

/** A fresh HOME; remove it with the returned cleanup. */
export const tempHome = (prefix = "rdd-test-"): { readonly home: string; readonly cleanup: () => void } => {
  const home = mkdtempSync(path.join(tmpdir(), prefix))
  return { home, cleanup: () => rmSync(home, { recursive: true, force: true }) }
}

/** The `msg` values of logrus text lines, unescaped (what the Go tool's BATS helpers extract). */
export const messages = (stderr: string): ReadonlyArray<string> =>
  stderr.split("\n").flatMap((line) => {
    const m = /msg=("(?:[^"\\]|\\.)*"|\S+)/.exec(line)
    if (m === null) return []
    const raw = m[1]!
    return [raw.startsWith("\"") ? (JSON.parse(raw) as string) : raw]
  })
