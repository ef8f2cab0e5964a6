/**
 * Running a short-lived host tool (genisoimage, ssh-keygen, ssh) as an Effect: bounded by
 * a timeout, and the child is SIGKILLed when the timeout fires or the fiber is interrupted,
 * so a hung tool never outlives the operation that started it. Output is collected whole
 * (these tools print little); a missing binary is reported apart from a failed run, so
 * callers can try a fallback tool or name the package to install.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { spawn, type StdioOptions } from "node:child_process"

export interface ExecResult {
  /** null when the child was ended by a signal */
  readonly exitCode: number | null
  readonly stdout: string
  readonly stderr: string
}

/** missing: the binary is not on PATH. spawn: it could not be started. timeout: killed at the deadline. */
export class ExecFailure extends Data.TaggedError("ExecFailure")<{
  readonly reason: "missing" | "spawn" | "timeout"
  readonly message: string
}> {}

export interface ExecOptions {
  readonly timeoutMillis: number
  readonly stdin?: string | Uint8Array | undefined
  readonly cwd?: string | undefined
  /** stdout is not collected (a daemonising child would keep the pipe open) */
  readonly stdio?: StdioOptions | undefined
}

const MaxOutput = 16 << 20

export const exec = (binary: string, args: ReadonlyArray<string>, options: ExecOptions): Effect.Effect<ExecResult, ExecFailure> =>
  Effect.async<ExecResult, ExecFailure>((resume) => {
    const child = spawn(binary, [...args], {
      stdio: options.stdio ?? [options.stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
      cwd: options.cwd
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    let size = 0
    let settled = false
    const settle = (outcome: Effect.Effect<ExecResult, ExecFailure>) => {
      if (settled) return
      settled = true
      clearTimeout(timer)
      resume(outcome)
    }
    const collect = (into: Array<Buffer>) => (chunk: Buffer) => {
      size += chunk.length
      if (size <= MaxOutput) into.push(chunk)
    }
    child.stdout?.on("data", collect(out))
    child.stderr?.on("data", collect(err))
    const timer = setTimeout(() => {
      child.kill("SIGKILL")
      settle(Effect.fail(new ExecFailure({ reason: "timeout", message: `${binary} did not finish within ${options.timeoutMillis}ms` })))
    }, options.timeoutMillis)
    child.on("error", (e: NodeJS.ErrnoException) => {
      settle(Effect.fail(new ExecFailure({
        reason: e.code === "ENOENT" ? "missing" : "spawn",
        message: e.code === "ENOENT" ? `${binary} is not installed (not found on PATH)` : `cannot run ${binary}: ${e.message}`
      })))
    })
    child.on("close", (code) => {
      settle(Effect.succeed({ exitCode: code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }))
    })
    if (options.stdin !== undefined && child.stdin !== null) {
      // the remote side may exit without reading its input
      child.stdin.on("error", () => {})
      child.stdin.end(options.stdin)
    }
    return Effect.sync(() => {
      settled = true
      clearTimeout(timer)
      child.kill("SIGKILL")
    })
  })

/** The last non-empty lines of a tool's stderr, for an error message. */
export const lastLines = (text: string, count = 5): string =>
  text.split("\n").map((l) => l.trim()).filter((l) => l !== "").slice(-count).join("\n")
