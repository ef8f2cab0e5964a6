/**
 * Go's `time.ParseDuration` / `Duration.String()` on bigint nanoseconds, so that
 * `--timeout` values and printed budgets match the Go tool exactly
 * (`90s` prints as `1m30s`, `0` means "no deadline").
 */
import * as Duration from "effect/Duration"
import * as Either from "effect/Either"

export const MaxNanos = (1n << 63n) - 1n

const unitNanos: Record<string, bigint> = {
  ns: 1n,
  us: 1_000n,
  "µs": 1_000n, // U+00B5 micro sign
  "μs": 1_000n, // U+03BC Greek mu
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n
}

export interface DurationSyntaxError {
  readonly input: string
  readonly message: string
}

const syntaxError = (input: string, message: string): Either.Either<never, DurationSyntaxError> =>
  Either.left({ input, message })

/** Parses a Go duration into nanoseconds. Negative values are rejected: no rdd flag accepts them. */
export const parseNanos = (input: string): Either.Either<bigint, DurationSyntaxError> => {
  const quoted = JSON.stringify(input)
  let s = input
  if (s.startsWith("-")) return syntaxError(input, `negative duration ${quoted} is not allowed`)
  if (s.startsWith("+")) s = s.slice(1)
  if (s === "0") return Either.right(0n)
  if (s === "") return syntaxError(input, `invalid duration ${quoted}`)
  let total = 0n
  while (s !== "") {
    // integer part
    const intMatch = /^[0-9]*/.exec(s)![0]
    s = s.slice(intMatch.length)
    let frac = ""
    if (s.startsWith(".")) {
      s = s.slice(1)
      frac = /^[0-9]*/.exec(s)![0]
      s = s.slice(frac.length)
    }
    if (intMatch === "" && frac === "") return syntaxError(input, `invalid duration ${quoted}`)
    const unit = /^[^0-9.]*/.exec(s)![0]
    s = s.slice(unit.length)
    if (unit === "") return syntaxError(input, `missing unit in duration ${quoted}`)
    const scale = unitNanos[unit]
    if (scale === undefined) return syntaxError(input, `unknown unit ${JSON.stringify(unit)} in duration ${quoted}`)
    let value = BigInt(intMatch === "" ? "0" : intMatch) * scale
    if (frac !== "") {
      // Go truncates fractional nanoseconds.
      const digits = frac.slice(0, 30)
      value += (BigInt(digits) * scale) / 10n ** BigInt(digits.length)
    }
    total += value
    if (total > MaxNanos) return syntaxError(input, `invalid duration ${quoted}`)
  }
  return Either.right(total)
}

/** Parses into an Effect Duration (zero = "no deadline" by convention of the callers). */
export const parse = (input: string): Either.Either<Duration.Duration, DurationSyntaxError> =>
  Either.map(parseNanos(input), (ns) => Duration.nanos(ns))

const fmtFrac = (v: bigint, prec: number): [string, bigint] => {
  let out = ""
  let printed = false
  for (let i = 0; i < prec; i++) {
    const digit = v % 10n
    printed = printed || digit !== 0n
    if (printed) out = `${digit}${out}`
    v /= 10n
  }
  return [printed ? `.${out}` : "", v]
}

/** Formats nanoseconds exactly like Go's `time.Duration.String()`. */
export const formatNanos = (nanos: bigint): string => {
  const neg = nanos < 0n
  let u = neg ? -nanos : nanos
  const sign = neg ? "-" : ""
  if (u < 1_000_000_000n) {
    if (u === 0n) return "0s"
    let prec: number
    let unit: string
    if (u < 1_000n) return `${sign}${u}ns`
    if (u < 1_000_000n) { prec = 3; unit = "µs" } else { prec = 6; unit = "ms" }
    const [frac, whole] = fmtFrac(u, prec)
    return `${sign}${whole}${frac}${unit}`
  }
  const [frac, secsTotal] = fmtFrac(u, 9)
  u = secsTotal
  let out = `${u % 60n}${frac}s`
  u /= 60n
  if (u > 0n) {
    out = `${u % 60n}m${out}`
    u /= 60n
    if (u > 0n) out = `${u}h${out}`
  }
  return `${sign}${out}`
}

/** Formats an Effect Duration the Go way (`Infinity` prints as "forever"). */
export const format = (d: Duration.Duration): string => {
  const ns = Duration.toNanos(d)
  return ns._tag === "Some" ? formatNanos(ns.value) : "forever"
}
