import { describe, expect, it } from "@effect/vitest"
import { Either } from "effect"
import * as GoDuration from "../../src/domain/GoDuration.js"

const ok = (s: string) => Either.getOrThrow(GoDuration.parseNanos(s))
const err = (s: string) => Either.match(GoDuration.parseNanos(s), { onLeft: (e) => e.message, onRight: () => "parsed" })

describe("GoDuration.parse", () => {
  it.each([
    ["0", 0n],
    ["1ms", 1_000_000n],
    ["90s", 90_000_000_000n],
    ["5m", 300_000_000_000n],
    ["1h30m", 5_400_000_000_000n],
    ["1.5s", 1_500_000_000n],
    [".5s", 500_000_000n],
    ["1us", 1_000n],
    ["1µs", 1_000n],
    ["1μs", 1_000n],
    ["3ns", 3n],
    ["+5s", 5_000_000_000n],
    ["2562047h47m16.854775807s", GoDuration.MaxNanos]
  ])("%s", (input, nanos) => expect(ok(input)).toBe(nanos))

  it.each([
    ["", "invalid duration"],
    ["10", "missing unit"],
    ["2d", "unknown unit \"d\""],
    ["-1s", "negative duration"],
    ["abc", "invalid duration"],
    ["1.s.", "invalid duration"],
    ["2562047h47m16.854775808s", "invalid duration"],
    ["1m-1s", "unknown unit"]
  ])("rejects %j", (input, fragment) => expect(err(input)).toContain(fragment))
})

describe("GoDuration.format", () => {
  it.each([
    [0n, "0s"],
    [1n, "1ns"],
    [1_500n, "1.5µs"],
    [1_000_000n, "1ms"],
    [1_500_000_000n, "1.5s"],
    [90_000_000_000n, "1m30s"],
    [300_000_000_000n, "5m0s"],
    [5_400_000_000_000n, "1h30m0s"],
    [GoDuration.MaxNanos, "2562047h47m16.854775807s"]
  ])("%s → %s", (nanos, text) => expect(GoDuration.formatNanos(nanos)).toBe(text))
})
