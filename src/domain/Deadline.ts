/**
 * One deadline per command (SPEC 1.2). A deadline is a budget started at a point
 * of the Clock; every phase of a command's wait draws on what remains of it, and
 * autostart draws on min(90s, remaining). A zero budget means "wait forever".
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"

export interface Deadline {
  /** the whole budget the user gave (zero = forever) */
  readonly budget: Duration.Duration
  /** Clock millis at which the budget started */
  readonly startMillis: number
  /** false once the budget is a cap applied to a longer one; kept for messages */
  readonly forever: boolean
}

export const start = (budget: Duration.Duration): Effect.Effect<Deadline> =>
  Effect.map(Clock.currentTimeMillis, (startMillis) => ({
    budget,
    startMillis,
    forever: Duration.isZero(budget)
  }))

export const forever: Effect.Effect<Deadline> = start(Duration.zero)

/** What remains (Duration.infinity for a forever deadline, never negative). */
export const remaining = (d: Deadline): Effect.Effect<Duration.Duration> =>
  d.forever
    ? Effect.succeed(Duration.infinity)
    : Effect.map(Clock.currentTimeMillis, (now) =>
      Duration.millis(Math.max(0, Duration.toMillis(d.budget) - (now - d.startMillis))))

/**
 * A sub-deadline of at most `cap`, never past the parent's end: min(cap, remaining).
 * When the parent ends first, the parent itself is returned, so a timeout names the
 * budget the user gave (`timed out after 3s`, not an odd remainder like `2.999s`);
 * and a parent with nothing left stays a spent deadline, never "0 = forever".
 */
export const capped = (d: Deadline, cap: Duration.Duration): Effect.Effect<Deadline> =>
  Effect.flatMap(remaining(d), (rem) => (Duration.lessThanOrEqualTo(rem, cap) ? Effect.succeed(d) : start(cap)))

export const elapsed = (d: Deadline): Effect.Effect<Duration.Duration> =>
  Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(Math.max(0, now - d.startMillis)))
