/**
 * The VM figure of SPEC 6: the qemu driver's start-to-Running time of the test
 * guest minus the guest's own boot time (goal ≤ 2 s). The measuring itself is
 * the driver part's scripts/guest/measure-qemu-start.ts (its `measure` boots
 * one guest at a time and stops each by the driver, then by pid); it is loaded
 * dynamically so a missing QEMU or guest image yields an "n/a" figure instead
 * of breaking the bench. Interruption runs its finalizers, which stop the guest.
 */
import { spawnSync } from "node:child_process"
import { Effect } from "effect"
import { type Figure, measured, unavailable } from "../Figure.js"
import { summarize } from "../stats.js"

export interface VmOptions {
  readonly runs: number
}

export const Specs = {
  qemu: { id: "vm.qemu-start", title: "qemu start-to-Running − guest boot", unit: "ms", goal: { on: "value", op: "<=", limit: 2000 } }
} as const


export const vm = (options: VmOptions): Effect.Effect<ReadonlyArray<Figure>, Error> =>
  Effect.gen(function*() {
    if (spawnSync("qemu-system-x86_64", ["--version"], { stdio: "ignore", timeout: 10_000 }).status !== 0) {
      return [unavailable(Specs.qemu, "qemu-system-x86_64 is not installed")]
    }
    const mod = yield* Effect.tryPromise({
      try: () => import("../../scripts/guest/measure-qemu-start.js"),
      catch: (e) => new Error(`scripts/guest/measure-qemu-start.ts: ${e instanceof Error ? e.message : String(e)}`)
    })
    const result = yield* mod.measure(options.runs).pipe(
      Effect.timeoutFail({ duration: `${60 * options.runs + 120} seconds`, onTimeout: () => new Error("the VM measurement did not finish in time") })
    )
    const overhead = result.runs.map((r) => r["overheadMs"]).filter((x): x is number => x !== undefined)
    // The guest's boot time is its own uptime; a TCG guest on a loaded host can report more
    // uptime than the host saw pass, and the subtraction then goes negative. Such a run is
    // not a measurement, and a pass built on it would be a made-up one.
    if (overhead.length === 0 || overhead.some((x) => x < 0)) {
      const driver = result.median
      return [{
        ...unavailable(
          Specs.qemu,
          `not measurable in this run: the guest reported more boot time than the host measured (start-to-Running ${driver["startToRunningMs"]} ms, guest uptime ${driver["guestBootMs"]} ms; guest clock skew under TCG on a loaded host); the driver's own share was launch ${driver["launchMs"]} ms + detection ${driver["detectionMs"]} ms`,
          "n/a"
        ),
        detail: { median: result.median, runs: result.runs }
      }]
    }
    return [measured({
      ...Specs.qemu,
      value: summarize(overhead).p50,
      samples: summarize(overhead),
      note: `median of ${options.runs} boots of the test guest, one at a time`,
      detail: { median: result.median, runs: result.runs }
    })]
  })
