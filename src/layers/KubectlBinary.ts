/**
 * Which `kubectl` rdd runs (SPEC 5): RDD_KUBECTL, else the first executable
 * `kubectl` on PATH that is not rdd itself (rdd may be installed as a `kubectl`
 * symlink); and the exit code its end means. Plain functions, no Effect: the
 * bin's `rdd ctl` path (src/plain/ctl.ts) runs kubectl before any of Effect is
 * loaded, and NodeKubectl wraps them.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

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
export const selfPaths = (): ReadonlyArray<string> => [process.argv[1] ?? "", ...(process.argv[1] === undefined ? [] : [path.join(path.dirname(realpath(process.argv[1]) ?? process.argv[1]), "rdd.mjs")])]

/** kubectl's exit code, or 128 + the signal's number when a signal ended it (as shells report it). */
export const childExitCode = (code: number | null, signal: NodeJS.Signals | null): number =>
  code ?? 128 + (signal === null ? 0 : (os.constants.signals[signal] ?? 0))
