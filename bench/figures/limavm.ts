/**
 * How fast the LimaVM controller reconciles many VMs at once: 50 LimaVMs
 * created together with the fake VM driver (guests "boot" instantly), timed in
 * real time from the first create until all 50 report Running=True/Started.
 * The controller is the daemon's own; the API is the real engine in process
 * (test/support/engine.ts, as the unit tests use it: validation, admission,
 * SQLite on a RAM-backed file), so the figure is the controller's work plus the
 * API's, without HTTP. Until 2026-12 it ran on a hand-written in-memory fake.
 */
import { Duration, Effect, Logger, LogLevel } from "effect"
import * as LimaVmFleet from "../../test/fakes/LimaVmFleet.js"
import { type Figure, measured } from "../Figure.js"
import { summarize } from "../stats.js"

export const Specs = {
  reconcile: { id: "vm.limavm-reconcile-50", title: "reconcile 50 fake-driver LimaVMs, create → Running", unit: "ms" }
} as const

const N = 50

const once: Effect.Effect<number, Error> = Effect.scoped(Effect.gen(function*() {
  const fleet = yield* LimaVmFleet.make(N)
  const started = () => fleet.count("Started")
  const t0 = performance.now()
  yield* fleet.createAll
  // a bench loop, bounded: the controller runs in this process, so check between its steps
  const done = Effect.suspend(() => (started() === N ? Effect.succeed(true) : Effect.as(Effect.sleep(Duration.millis(2)), false)))
  yield* done.pipe(
    Effect.repeat({ until: (ok) => ok }),
    Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error(`only ${started()} of ${N} VMs reached Running in 60s`) })
  )
  return performance.now() - t0
})).pipe(Logger.withMinimumLogLevel(LogLevel.None)) // 50 VMs' condition lines would bury the report

export const limavmReconcile = (options: { readonly rounds: number }): Effect.Effect<ReadonlyArray<Figure>, Error> =>
  Effect.gen(function*() {
    const samples: Array<number> = []
    for (let i = 0; i < options.rounds; i++) samples.push(yield* once)
    const s = summarize(samples)
    return [measured({ ...Specs.reconcile, value: s.p50, samples: s, note: `median of ${options.rounds} rounds; real API engine in process, fake driver` })]
  })
