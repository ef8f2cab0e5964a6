/**
 * Safety net for suites that run the CLI with hostile input: if a bad command line
 * were ever accepted, the command would run for real (e.g. start a daemon). Every
 * such suite runs in its own temp HOME; `sweepDaemons(home)` ends, by pid, any
 * daemon whose pid file lives under that HOME, after checking that the pid still
 * belongs to an rdd daemon (`svc serve` in its command line).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs"
import * as path from "node:path"

const cmdline = (pid: number): string | undefined => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ")
  } catch {
    return undefined
  }
}

/** Pids of live rdd daemons whose pid file is under `home`; ends them with SIGKILL. Returns what it ended. */
export const sweepDaemons = (home: string): ReadonlyArray<number> => {
  const share = path.join(home, ".local", "share")
  if (!existsSync(share)) return []
  const ended: Array<number> = []
  for (const dir of readdirSync(share)) {
    const pidFile = path.join(share, dir, "rdd.pid")
    if (!existsSync(pidFile)) continue
    const pid = Number(readFileSync(pidFile, "utf8").trim())
    if (!Number.isInteger(pid) || pid <= 1) continue
    const cmd = cmdline(pid)
    if (cmd === undefined || !/(svc|service) serve/.test(cmd)) continue
    try {
      process.kill(pid, "SIGKILL")
      ended.push(pid)
    } catch {
      // already gone
    }
  }
  return ended
}
