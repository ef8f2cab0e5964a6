/**
 * The ways a pid file goes stale (SPEC 2.7, reference §10.7/10.27): its process
 * died, its pid now belongs to another program or to another instance's daemon,
 * or the file holds garbage. Each variant writes `rdd.pid` and returns a cleanup
 * that ends, by pid, whatever process it started.
 */
import { spawn, spawnSync } from "node:child_process"
import { mkdirSync, writeFileSync } from "node:fs"
import * as path from "node:path"

export interface Variant {
  readonly name: string
  /** writes the stale pid file into `serviceDir`; returns the cleanup */
  readonly plant: (serviceDir: string) => Promise<() => void>
}

const write = (serviceDir: string, content: string | Buffer) => {
  mkdirSync(serviceDir, { recursive: true, mode: 0o700 })
  writeFileSync(path.join(serviceDir, "rdd.pid"), content)
}

/** A live process of ours that is not this instance's daemon; ended by pid on cleanup. */
const liveProcess = (argv: ReadonlyArray<string>) => async (serviceDir: string) => {
  const child = spawn(argv[0]!, argv.slice(1), { stdio: "ignore" })
  await new Promise<void>((resolve, reject) => {
    child.once("spawn", () => resolve())
    child.once("error", reject)
  })
  write(serviceDir, String(child.pid))
  return () => {
    child.kill("SIGKILL")
  }
}

/** A pid that certainly existed and is certainly gone. */
const deadPid = (): number => {
  const r = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" })
  return Number(r.stdout.trim())
}

const garbage = (content: string | Buffer) => async (serviceDir: string) => {
  write(serviceDir, content)
  return () => {}
}

export const variants: ReadonlyArray<Variant> = [
  { name: "a dead pid", plant: async (d) => garbage(String(deadPid()))(d) },
  { name: "a dead pid with a trailing newline", plant: async (d) => garbage(`${deadPid()}\n`)(d) },
  { name: "a pid reused by another program (sleep)", plant: liveProcess(["sleep", "600"]) },
  {
    name: "a pid reused by a node process that is not a daemon",
    plant: liveProcess([process.execPath, "-e", "setInterval(() => {}, 1e6)"])
  },
  {
    name: "the pid of another instance's daemon",
    // looks like `rdd --instance other svc serve` to an identity check, but of another instance
    plant: liveProcess([process.execPath, "-e", "setInterval(() => {}, 1e6)", "--", "--instance", "other", "svc", "serve"])
  },
  { name: "pid 1 (init)", plant: garbage("1") },
  { name: "garbage text", plant: garbage("not a pid") },
  { name: "an empty file", plant: garbage("") },
  { name: "a negative number", plant: garbage("-42") },
  { name: "zero", plant: garbage("0") },
  { name: "a huge number", plant: garbage("99999999999999999999") },
  { name: "digits then junk", plant: garbage("123abc") },
  { name: "binary bytes", plant: garbage(Buffer.from([0, 255, 10, 1, 2, 3])) }
]
