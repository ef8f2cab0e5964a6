/**
 * Process liveness for tests, the way the suites need it: a pid counts as alive
 * when it exists and is not a zombie (a killed process no one reaps, as in a
 * container without an init, is gone for every purpose).
 */
import { readFileSync } from "node:fs"

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
  } catch {
    return false
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8")
    return !stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")
  } catch {
    return false
  }
}
