/**
 * Statistics for the benchmark report, pure and dependency-free so they can be
 * unit-tested: order statistics over repeated runs (the report quotes medians,
 * because a shared 2-core machine produces outliers that would drag a mean), a
 * least-squares slope for "does it grow", and the growth exponent used by the
 * cost-as-work-grows section (time ∝ size^k: k≈0 flat, k≈1 linear).
 */

export interface Summary {
  readonly n: number
  readonly min: number
  readonly p10: number
  readonly p50: number
  readonly p90: number
  readonly p99: number
  readonly max: number
  readonly mean: number
}

const sorted = (xs: ReadonlyArray<number>): Array<number> => [...xs].sort((a, b) => a - b)

/**
 * The q-quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks
 * (the R-7 / numpy default), so the median of an even sample is the mean of
 * the two middle values. NaN for an empty sample: a figure without samples is
 * "not available", never zero.
 */
export const quantile = (xs: ReadonlyArray<number>, q: number): number => {
  if (xs.length === 0) return Number.NaN
  const s = sorted(xs)
  const clamped = Math.min(1, Math.max(0, q))
  const pos = (s.length - 1) * clamped
  const lo = Math.floor(pos)
  const hi = Math.ceil(pos)
  const a = s[lo]!
  const b = s[hi]!
  return a + (b - a) * (pos - lo)
}

export const median = (xs: ReadonlyArray<number>): number => quantile(xs, 0.5)

export const summarize = (xs: ReadonlyArray<number>): Summary => ({
  n: xs.length,
  min: xs.length === 0 ? Number.NaN : Math.min(...xs),
  p10: quantile(xs, 0.1),
  p50: quantile(xs, 0.5),
  p90: quantile(xs, 0.9),
  p99: quantile(xs, 0.99),
  max: xs.length === 0 ? Number.NaN : Math.max(...xs),
  mean: xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length
})

/**
 * Median of per-round ratios. Candidate and baseline are measured in the same
 * round (interleaved), so dividing within a round cancels the machine's drift
 * better than dividing the two overall medians.
 */
export const pairedRatio = (
  candidate: ReadonlyArray<number>,
  baseline: ReadonlyArray<number>
): number => {
  const n = Math.min(candidate.length, baseline.length)
  const ratios: Array<number> = []
  for (let i = 0; i < n; i++) {
    const b = baseline[i]!
    if (b > 0) ratios.push(candidate[i]! / b)
  }
  return median(ratios)
}

/** Least-squares slope of y over x; NaN with fewer than two distinct x. */
export const slope = (points: ReadonlyArray<readonly [number, number]>): number => {
  const n = points.length
  if (n < 2) return Number.NaN
  const mx = points.reduce((a, [x]) => a + x, 0) / n
  const my = points.reduce((a, [, y]) => a + y, 0) / n
  let num = 0
  let den = 0
  for (const [x, y] of points) {
    num += (x - mx) * (y - my)
    den += (x - mx) * (x - mx)
  }
  return den === 0 ? Number.NaN : num / den
}

/**
 * The exponent k of cost ∝ size^k, from the log-log slope. Expected for rdd:
 * LIST ≈ 1 (linear), GET and watch delivery ≈ 0 (flat).
 */
export const growthExponent = (points: ReadonlyArray<readonly [number, number]>): number =>
  slope(points.filter(([x, y]) => x > 0 && y > 0).map(([x, y]) => [Math.log(x), Math.log(y)] as const))

export type Growth = "flat" | "sub-linear" | "linear" | "super-linear" | "unknown"

/** Names an exponent; the bands are wide because three sizes on a noisy machine are coarse. */
export const classifyGrowth = (k: number): Growth =>
  Number.isNaN(k) ? "unknown" : k < 0.25 ? "flat" : k < 0.75 ? "sub-linear" : k <= 1.3 ? "linear" : "super-linear"

/** Events per second for `count` operations in `ms` milliseconds. */
export const perSecond = (count: number, ms: number): number => (ms > 0 ? (count * 1000) / ms : Number.NaN)

/** Rounds for display: 3 significant digits, integers kept whole. */
export const round = (x: number): number => {
  if (!Number.isFinite(x)) return x
  if (Math.abs(x) >= 100) return Math.round(x)
  return Number(x.toPrecision(3))
}
