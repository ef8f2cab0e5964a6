/**
 * Global setup: the suite must leave no daemon or QEMU process behind. Processes
 * that match and did not exist before the run are reported (which fails the run)
 * and then ended by pid, since this run started them.
 */
import { readdirSync, readFileSync } from "node:fs"

const pattern = /(svc|service)\0serve|qemu-system/

const matching = (): Map<number, string> => {
  const found = new Map<number, string>()
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8")
      if (pattern.test(cmdline)) found.set(Number(entry), cmdline.replace(/\0/g, " ").trim())
    } catch {
      // the process ended while we looked
    }
  }
  return found
}

let before = new Map<number, string>()

export const setup = () => {
  before = matching()
}

export const teardown = () => {
  const left = [...matching()].filter(([pid]) => !before.has(pid) && pid !== process.pid)
  if (left.length === 0) return
  for (const [pid] of left) {
    try {
      process.kill(pid, "SIGKILL")
    } catch {
      // already gone
    }
  }
  throw new Error(`the tests left ${left.length} process(es) behind:\n${left.map(([p, c]) => `  ${p} ${c}`).join("\n")}`)
}
