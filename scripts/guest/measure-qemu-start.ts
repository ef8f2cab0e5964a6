/**
 * Measures the qemu driver's start-to-Running time for the test guest and subtracts
 * the guest's own boot time (its uptime printed in the readiness marker), the SPEC 6
 * figure "start-to-Running ≤ 2 s plus the guest's own boot time". Boots one guest at
 * a time, each in its own temp directory, and stops it by the driver (then by pid if
 * anything went wrong). Prints one JSON object on stdout.
 *
 *   npx tsx scripts/guest/measure-qemu-start.ts [runs=5]
 *
 * `measure` is exported for the bench.
 */
import { Effect, Either, type Scope } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as LimaTemplate from "../../src/domain/LimaTemplate.js"
import * as NodeProcessManager from "../../src/layers/NodeProcessManager.js"
import * as QemuDriver from "../../src/layers/QemuDriver.js"

export interface Run {
  /** driver.start() called -> driver.awaitRunning() completed */
  readonly startToRunningMs: number
  /** the guest's uptime when it printed the marker (kernel start -> marker) */
  readonly guestBootMs: number
  /** the figure: what the host side adds (QEMU setup, firmware, kernel load, detection) */
  readonly overheadMs: number
  /** the driver's own share: the serial log's last write (the marker) -> awaitRunning done */
  readonly detectionMs: number
  /** the driver's own share: start() called -> QEMU set up and daemonized (pid known) */
  readonly launchMs: number
}

const repo = path.resolve(import.meta.dirname, "../..")

const median = (xs: ReadonlyArray<number>): number => {
  const s = [...xs].sort((a, b) => a - b)
  const m = Math.floor(s.length / 2)
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

const once = (templateFile: string): Effect.Effect<Run, Error, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rddqm-"))
    const text = fs.readFileSync(templateFile, "utf8")
    const template = Either.getOrThrow(LimaTemplate.parse(text))
    let pid: number | undefined
    const driver = yield* QemuDriver.make({
      limaHome: path.join(dir, "lima"),
      home: dir,
      accelOverride: process.env["RDD_QEMU_ACCEL"],
      cacheDir: path.join(dir, "cache")
    }).pipe(Effect.provide(NodeProcessManager.layer))
    return yield* Effect.gen(function*() {
      yield* driver.create({ name: "bench", templateText: text, template })
      const t0 = performance.now()
      pid = (yield* driver.start("bench")).pid
      const launchMs = performance.now() - t0
      yield* driver.awaitRunning("bench").pipe(Effect.timeout("60 seconds"))
      const startToRunningMs = performance.now() - t0
      // The idle guest writes nothing after its marker, so the log's mtime is the marker's time.
      const detectionMs = Date.now() - fs.statSync(driver.logPath("bench")).mtimeMs
      const log = fs.readFileSync(driver.logPath("bench"), "utf8")
      const uptime = /QGUEST-READY id=bench .*uptime=([\d.]+)/.exec(log)?.[1]
      if (uptime === undefined) return yield* Effect.fail(new Error("no uptime in the readiness marker"))
      const guestBootMs = Number(uptime) * 1000
      yield* driver.stop("bench", { grace: "10 seconds" })
      return { startToRunningMs, guestBootMs, overheadMs: startToRunningMs - guestBootMs, detectionMs, launchMs }
    }).pipe(
      Effect.mapError((e) => (e instanceof Error ? e : new Error(String((e as { message?: unknown }).message ?? e)))),
      Effect.ensuring(Effect.sync(() => {
        if (pid !== undefined) {
          try {
            process.kill(pid, "SIGKILL")
          } catch {
            // stopped by the driver
          }
        }
        fs.rmSync(dir, { recursive: true, force: true })
      }))
    )
  })

export const measure = (runs: number) =>
  Effect.gen(function*() {
    const templateFile = execFileSync("bash", [path.join(repo, "scripts/test-image.sh")], { encoding: "utf8" }).trim()
    const results: Array<Run> = []
    for (let i = 0; i < runs; i++) results.push(yield* Effect.scoped(once(templateFile)))
    const round = (n: number) => Math.round(n)
    return {
      figure: "qemu driver start-to-Running minus the guest's own boot",
      unit: "ms",
      goal: 2000,
      host: { cpus: os.cpus().length, loadavg1: Math.round(os.loadavg()[0]! * 100) / 100 },
      runs: results.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, round(v)]))),
      median: Object.fromEntries(
        (["startToRunningMs", "guestBootMs", "overheadMs", "detectionMs", "launchMs"] as const).map((k) => [k, round(median(results.map((r) => r[k])))])
      )
    }
  })

if (import.meta.url === `file://${process.argv[1]}`) {
  const runs = Number(process.argv[2] ?? "5")
  Effect.runPromise(measure(Number.isInteger(runs) && runs > 0 ? runs : 5)).then(
    (report) => console.log(JSON.stringify(report, null, 2)),
    (e) => {
      console.error(`measure-qemu-start: ${e instanceof Error ? e.message : String(e)}`)
      process.exitCode = 1
    }
  )
}
