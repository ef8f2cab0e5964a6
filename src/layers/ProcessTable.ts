/**
 * The OS's view of a process, read without spawning anything on Linux: whether it
 * is alive (a zombie is not) and its argv (what tells our daemon from a reused
 * pid). Plain functions, no Effect: the bin's `rdd ctl` path (src/plain/ctl.ts)
 * uses them before any of Effect is loaded, and NodeProcessManager wraps them.
 */
import * as fs from "node:fs"
import * as NodeBuiltins from "./NodeBuiltins.js"

export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return !isZombie(pid)
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/** A zombie child of ours answers signal 0 but is gone for every purpose. */
const isZombie = (pid: number): boolean => {
  if (process.platform !== "linux") return false
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")
  } catch {
    return false
  }
}

export const argvOf = (pid: number): ReadonlyArray<string> | undefined => {
  if (process.platform === "linux") {
    try {
      const raw = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8")
      return raw.split("\0").filter((s, i, all) => !(s === "" && i === all.length - 1))
    } catch {
      return undefined
    }
  }
  try {
    // macOS: no /proc; `ps` prints the command line with spaces (good enough for the identity check).
    const out = NodeBuiltins.childProcess().execFileSync("ps", ["-o", "command=", "-p", String(pid)], { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] })
    return out.trim() === "" ? undefined : out.trim().split(/\s+/)
  } catch {
    return undefined
  }
}
