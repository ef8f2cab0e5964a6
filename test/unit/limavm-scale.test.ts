/**
 * Fifty VMs reconcile independently: created at once with the fake driver (each
 * guest takes 2s to boot), all reach Running=True/Started after 2s of virtual
 * time, each started exactly once. Prints the real time it took (the figure
 * `npm run bench` reports as "reconcile 50 fake-driver VMs").
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as LimaVmFleet from "../fakes/LimaVmFleet.js"

const N = 50

describe("LimaVM controller at scale", () => {
  it.scoped(`${N} VMs from create to Running`, () =>
    Effect.gen(function*() {
      const { count, createAll, fake, names } = yield* LimaVmFleet.make(N)
      for (const n of names) fake.script(n, { bootDelay: "2 seconds" })
      const t0 = performance.now()
      yield* createAll
      const started = () => count("Started")
      const starting = () => count("Starting")
      for (let i = 0; i < 20000 && starting() < N; i++) yield* Effect.yieldNow()
      assert.strictEqual(starting(), N, "all start in parallel, before any time passes")
      yield* TestClock.adjust("2 seconds")
      for (let i = 0; i < 20000 && started() < N; i++) yield* Effect.yieldNow()
      const ms = performance.now() - t0
      assert.strictEqual(started(), N)
      for (const n of names) assert.strictEqual(fake.calls.filter((c) => c === `start ${n}`).length, 1)
      console.log(JSON.stringify({ figure: "limavm.reconcile50.fakeDriver", vms: N, realMs: Math.round(ms) }))
    }))
})
