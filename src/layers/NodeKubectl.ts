/**
 * Kubectl on node:child_process: locate the binary (RDD_KUBECTL, else the first
 * executable `kubectl` on PATH that is not rdd itself — rdd may be installed as a
 * `kubectl` symlink), run it with inherited stdio, and report its exit code
 * (128 + signal number when a signal ended it, as shells do).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import { Failure } from "../domain/Errors.js"
import { InstallHint, Kubectl } from "../services/Kubectl.js"
import { childExitCode, locate, selfPaths } from "./KubectlBinary.js"

const found: Effect.Effect<string, Failure> = Effect.suspend(() => {
  const bin = locate(process.env, selfPaths())
  if (bin !== undefined) return Effect.succeed(bin)
  const explicit = process.env["RDD_KUBECTL"]
  return Effect.fail(new Failure({
    message: explicit !== undefined && explicit !== "" ? `RDD_KUBECTL=${explicit} is not an executable file; ${InstallHint}` : InstallHint
  }))
})

export const layer = Layer.succeed(Kubectl, {
  locate: found,
  run: (args, env = {}) =>
    Effect.flatMap(found, (bin) =>
      Effect.async<number, Failure>((resume) => {
        const child = spawn(bin, [...args], { stdio: "inherit", env: { ...process.env, ...env } })
        child.once("error", (e) => resume(Effect.fail(new Failure({ message: `cannot run ${bin}: ${e.message}`, cause: e }))))
        child.once("exit", (code, signal) =>
          resume(Effect.succeed(childExitCode(code, signal))))
        // Ctrl-C reaches kubectl directly (same process group); if rdd is interrupted otherwise, end kubectl too
        return Effect.sync(() => {
          if (child.exitCode === null) child.kill("SIGTERM")
        })
      }))
})
