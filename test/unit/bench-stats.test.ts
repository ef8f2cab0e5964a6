import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Stats from "../../bench/stats.js"

describe("bench statistics", () => {
  it("quantiles interpolate between closest ranks", () => {
    expect(Stats.median([3, 1, 2])).toBe(2)
    expect(Stats.median([4, 1, 3, 2])).toBe(2.5)
    expect(Stats.quantile([10, 20, 30, 40, 50], 0.9)).toBe(46)
    expect(Stats.quantile([7], 0.99)).toBe(7)
    expect(Number.isNaN(Stats.median([]))).toBe(true)
  })

  it.prop("quantiles are ordered and within the sample", [fc.array(fc.double({ min: 0, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 })], ([xs]) => {
    const s = Stats.summarize(xs)
    expect(s.min).toBeLessThanOrEqual(s.p10)
    expect(s.p10).toBeLessThanOrEqual(s.p50)
    expect(s.p50).toBeLessThanOrEqual(s.p90)
    expect(s.p90).toBeLessThanOrEqual(s.p99)
    expect(s.p99).toBeLessThanOrEqual(s.max)
    expect(s.n).toBe(xs.length)
  })

  it("the paired ratio divides within each round", () => {
    // the machine slowed down in the last round; per-round ratios stay at 2
    expect(Stats.pairedRatio([20, 20, 200], [10, 10, 100])).toBe(2)
    expect(Stats.pairedRatio([30, 10], [10, 10])).toBe(2)
    expect(Number.isNaN(Stats.pairedRatio([], []))).toBe(true)
  })

  it("slope and growth exponent name how cost grows", () => {
    expect(Stats.slope([[0, 1], [1, 3], [2, 5]])).toBeCloseTo(2)
    expect(Number.isNaN(Stats.slope([[1, 1]]))).toBe(true)
    const linear = [[1_000, 10], [10_000, 100], [50_000, 500]] as const
    const flat = [[1_000, 0.3], [10_000, 0.31], [50_000, 0.29]] as const
    expect(Stats.growthExponent(linear)).toBeCloseTo(1)
    expect(Stats.classifyGrowth(Stats.growthExponent(linear))).toBe("linear")
    expect(Stats.classifyGrowth(Stats.growthExponent(flat))).toBe("flat")
    expect(Stats.classifyGrowth(Stats.growthExponent([[1, 1], [100, 10_000]]))).toBe("super-linear")
    expect(Stats.classifyGrowth(Number.NaN)).toBe("unknown")
  })

  it("rates and rounding", () => {
    expect(Stats.perSecond(500, 250)).toBe(2000)
    expect(Number.isNaN(Stats.perSecond(1, 0))).toBe(true)
    expect(Stats.round(1234.56)).toBe(1235)
    expect(Stats.round(2.34567)).toBe(2.35)
  })
})
