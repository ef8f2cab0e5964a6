import { assert, it } from "@effect/vitest"
import { Duration, Either, FastCheck as fc } from "effect"
import * as GoDuration from "../../src/domain/GoDuration.js"

const int64 = fc.bigInt({ min: 0n, max: GoDuration.MaxNanos })

it.prop("format then parse round-trips every non-negative int64", [int64], ([ns]) => {
  assert.deepStrictEqual(GoDuration.parseNanos(GoDuration.formatNanos(ns)), Either.right(ns))
})

it.prop(
  "h/m/s/ms components add up",
  { h: fc.nat(10_000), m: fc.nat(59), s: fc.nat(59), ms: fc.nat(999) },
  ({ h, m, s, ms }) => {
    const parsed = Either.getOrThrow(GoDuration.parse(`${h}h${m}m${s}s${ms}ms`))
    assert.strictEqual(Duration.toMillis(parsed), ((h * 60 + m) * 60 + s) * 1000 + ms)
  }
)

it.prop("a number without a unit is never accepted (except 0)", [fc.integer({ min: 1, max: 1_000_000 })], ([n]) => {
  assert.isTrue(Either.isLeft(GoDuration.parseNanos(String(n))))
})

it.prop("negative durations are rejected", [fc.integer({ min: 1, max: 1_000_000 })], ([n]) => {
  assert.isTrue(Either.isLeft(GoDuration.parseNanos(`-${n}s`)))
})
