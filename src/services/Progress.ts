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

/** Shows the progress line for `phase` while `self` runs. */
export const withProgress = (phase: string, deadline: Deadline.Deadline) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | Progress> =>
  Effect.flatMap(Progress, (progress) => {
    if (!progress.enabled) return self
    const draw = Effect.flatMap(Deadline.elapsed(deadline), (e) => progress.show(progressLine(phase, e, deadline)))
    return Effect.scoped(
      Effect.gen(function*() {
        yield* Effect.forkScoped(Effect.repeat(draw, Schedule.spaced(RefreshEvery)))
        return yield* self
      })
    ).pipe(Effect.ensuring(progress.clear))
  })
