/**
 * Global setup: the suite must leave no process behind (daemons, QEMU, and
 * anything else a test spawned: a CLI, kubectl, a helper script).
 * Every process this run starts inherits RDD_TEST_RUN=<id> (set here, before
 * vitest starts its workers); at teardown any process carrying this run's id,
 * other than vitest itself and its workers, is reported (which fails the run)
 * and then ended by pid. Processes of other runs on the same machine (another
 * developer's tests, a benchmark) are never touched.
 */
import { randomUUID } from "node:crypto"
import { readdirSync, readFileSync } from "node:fs"

/** vitest's own worker processes carry the id too; they are not leftovers */
const isVitest = (cmdline: string) => /node_modules\/(vitest|tinypool)\//.test(cmdline)
const runId = randomUUID()

const leftovers = (): Map<number, string> => {
  const found = new Map<number, string>()
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8")
      if (Number(entry) === process.pid || isVitest(cmdline)) continue
      const environ = readFileSync(`/proc/${entry}/environ`, "utf8").split("\0")
      if (environ.includes(`RDD_TEST_RUN=${runId}`)) found.set(Number(entry), cmdline.replace(/\0/g, " ").trim())
    } catch {
      // the process ended while we looked
    }
  }
  return found
}

export const setup = () => {
  process.env["RDD_TEST_RUN"] = runId
}

export const teardown = () => {
  const left = [...leftovers()]
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
