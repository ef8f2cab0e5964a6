/**
 * The live progress line a waiting command shows on a terminal (SPEC 1.3):
 * `waiting for API server (3.1s of 1m30s)`. Only on a TTY at level info or more
 * verbose; the live layer keeps it from interleaving with log lines.
 */
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"
import * as Deadline from "../domain/Deadline.js"
import * as GoDuration from "../domain/GoDuration.js"

export interface ProgressShape {
  readonly enabled: boolean
  readonly show: (line: string) => Effect.Effect<void>
  readonly clear: Effect.Effect<void>
}

export class Progress extends Context.Tag("rdd/Progress")<Progress, ProgressShape>() {}

/** For non-TTY output and tests. */
export const disabled = Layer.succeed(Progress, { enabled: false, show: () => Effect.void, clear: Effect.void })

export const progressLine = (phase: string, elapsed: Duration.Duration, deadline: Deadline.Deadline): string => {
  const secs = (Duration.toMillis(elapsed) / 1000).toFixed(1)
  return deadline.forever ? `waiting for ${phase} (${secs}s)` : `waiting for ${phase} (${secs}s of ${GoDuration.format(deadline.budget)})`
}

const RefreshEvery = Duration.millis(100)

/** One terminal line: the progress line is redrawn in place, and a wrapped one could not be. */
const clip = (detail: string): string => {
  const flat = detail.replace(/\s+/g, " ")
  return flat.length > 100 ? `${flat.slice(0, 99)}…` : flat
}

/**
 * Shows the progress line for `phase` while `self` runs. `detail`, read at each
 * redraw, is what the wait is stuck on right now (a condition's reason and
 * message, e.g. a download error): shown after the line, so a retrying condition
 * is never silence.
 */
export const withProgress = (phase: string, deadline: Deadline.Deadline, detail: Effect.Effect<string> = Effect.succeed("")) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Progress> =>
  Effect.flatMap(Progress, (progress) => {
    if (!progress.enabled) return self
    const draw = Effect.flatMap(Effect.zip(Deadline.elapsed(deadline), detail), ([e, d]) =>
      progress.show(d === "" ? progressLine(phase, e, deadline) : `${progressLine(phase, e, deadline)}: ${clip(d)}`))
    return Effect.scoped(
      Effect.gen(function*() {
        yield* Effect.forkScoped(Effect.repeat(draw, Schedule.spaced(RefreshEvery)))
        return yield* self
      })
    ).pipe(Effect.ensuring(progress.clear))
  })
