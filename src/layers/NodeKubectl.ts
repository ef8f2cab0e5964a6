/**
 * Kubectl on node:child_process: locate the binary (RDD_KUBECTL, else the first
 * executable `kubectl` on PATH that is not rdd itself — rdd may be installed as a
 * `kubectl` symlink), run it with inherited stdio, and report its exit code
 * (128 + signal number when a signal ended it, as shells do).
 */
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { Failure } from "../domain/Errors.js"
import { InstallHint, Kubectl } from "../services/Kubectl.js"

const realpath = (p: string): string | undefined => {
  try {
    return fs.realpathSync(p)
  } catch {
    return undefined
  }
}

const isExecutable = (p: string): boolean => {
  try {
    fs.accessSync(p, fs.constants.X_OK)
    return fs.statSync(p).isFile()
  } catch {
    return false
  }
}

export const locate = (env: NodeJS.ProcessEnv, self: ReadonlyArray<string>): string | undefined => {
  const explicit = env["RDD_KUBECTL"]
  if (explicit !== undefined && explicit !== "") return isExecutable(explicit) ? explicit : undefined
  const selves = new Set(self.map(realpath).filter((p): p is string => p !== undefined))
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (dir === "") continue
    const candidate = path.join(dir, "kubectl")
    if (!isExecutable(candidate)) continue
    const real = realpath(candidate)
    if (real !== undefined && selves.has(real)) continue
    return candidate
  }
  return undefined
}

/** Our own entry points: the bundle's bin and what argv[1] names (maybe a `kubectl` symlink to it). */
const selfPaths = (): ReadonlyArray<string> => [process.argv[1] ?? "", ...(process.argv[1] === undefined ? [] : [path.join(path.dirname(realpath(process.argv[1]) ?? process.argv[1]), "rdd.mjs")])]

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
          resume(Effect.succeed(code ?? 128 + (signal === null ? 0 : (os.constants.signals[signal] ?? 0)))))
        // Ctrl-C reaches kubectl directly (same process group); if rdd is interrupted otherwise, end kubectl too
        return Effect.sync(() => {
          if (child.exitCode === null) child.kill("SIGTERM")
        })
      }))
})
