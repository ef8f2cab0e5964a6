/**
 * One rdd instance in a temp HOME for the reliability suites, driven through the
 * built CLI: start, stop, `kill -9`, restart, read its kubeconfig, look at its
 * processes. Everything it starts it ends by pid in `dispose` (after `svc stop`),
 * which also scans the instance's logs for any token a daemon of this test
 * process wrote (tokens are never logged, SPEC 6).
 */
import { readdirSync, readFileSync } from "node:fs"
import { type Kubeconfig, readKubeconfig, request, type RequestOptions, type Response, tokenLeaks } from "../../security/Api.js"
import { sweepDaemons } from "../../security/Sweep.js"
import { isAlive } from "../../support/process.js"
import { runRdd, type RunResult, tempHome } from "../../support/rdd.js"

export interface Instance {
  readonly home: string
  readonly suffix: string
  readonly paths: Readonly<Record<string, string>>
  readonly rdd: (...args: Array<string>) => Promise<RunResult>
  /** `svc start`, failing loudly unless it exits 0 */
  readonly start: (...extra: Array<string>) => Promise<void>
  readonly kubeconfig: () => Kubeconfig
  readonly request: (p: string, o?: RequestOptions) => Promise<Response>
  /** pid from the pid file, if it names a live process */
  readonly pid: () => number | undefined
  /** live `svc serve` processes of this instance (by command line) */
  readonly daemons: () => ReadonlyArray<number>
  readonly dispose: () => Promise<void>
}

export { isAlive }

/** Waits, with a bound, until `pid` is gone (event-driven would need a parent; we are not it). */
export const awaitExit = async (pid: number, boundMs = 15_000): Promise<void> => {
  const until = Date.now() + boundMs
  while (isAlive(pid)) {
    if (Date.now() > until) throw new Error(`pid ${pid} still alive after ${boundMs}ms`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

export const daemonsOf = (suffix: string): ReadonlyArray<number> => {
  const found: Array<number> = []
  for (const entry of readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue
    try {
      const argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0")
      const i = argv.indexOf("--instance")
      const serve = argv.some((a, k) => (a === "svc" || a === "service") && argv[k + 1] === "serve")
      if (serve && i >= 0 && argv[i + 1] === suffix && isAlive(Number(entry))) found.push(Number(entry))
    } catch {
      // gone while we looked
    }
  }
  return found
}

export const makeInstance = async (suffix: string, options: { readonly home?: string } = {}): Promise<Instance> => {
  const t = options.home === undefined ? tempHome(`rdd-rel-${suffix}-`) : { home: options.home, cleanup: () => {} }
  const env = { RDD_LOG_LEVEL: undefined, RDD_LOG_ROOT: undefined, RDD_KEEP_LOGS: undefined }
  const rdd = (...args: Array<string>) => runRdd(["--instance", suffix, ...args], { home: t.home, env, timeoutMs: 120_000 })
  const paths = JSON.parse((await rdd("svc", "paths", "-o", "json")).stdout) as Record<string, string>
  const inst: Instance = {
    home: t.home,
    suffix,
    paths,
    rdd,
    start: async (...extra) => {
      const r = await rdd("svc", "start", "--timeout=60s", ...extra)
      if (r.code !== 0) throw new Error(`svc start exited ${r.code}:\n${r.stderr}`)
    },
    kubeconfig: () => readKubeconfig(paths["config"]!),
    request: (p, o) => request(readKubeconfig(paths["config"]!), p, o),
    pid: () => {
      try {
        const pid = Number(readFileSync(paths["pid_file"]!, "utf8").trim())
        return Number.isInteger(pid) && pid > 1 && isAlive(pid) ? pid : undefined
      } catch {
        return undefined
      }
    },
    daemons: () => daemonsOf(suffix),
    dispose: async () => {
      try {
        // remember the last run's tokens (config.yaml goes when the daemon stops)
        readKubeconfig(paths["config"]!)
      } catch {
        // not running
      }
      await rdd("svc", "stop", "--timeout=30s")
      sweepDaemons(t.home)
      for (const pid of daemonsOf(suffix)) process.kill(pid, "SIGKILL")
      // every token any daemon of this run wrote must be absent from this instance's logs
      const leaks = tokenLeaks([paths["log_dir"]!])
      t.cleanup()
      if (leaks.length > 0) throw new Error(`a token appears in the daemon's logs:\n${leaks.join("\n")}`)
    }
  }
  return inst
}
