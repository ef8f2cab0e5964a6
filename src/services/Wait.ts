/**
 * The wait primitive. Every lifecycle wait in rdd goes through `waitFor`, so the
 * timeout rule lives here once: `Effect.timeout` bounded by what remains of the
 * command's deadline, `TimeoutException` turned into the domain `WaitTimeout`
 * (what, whole budget, what is left behind), and a zero budget never times out.
 * `poll` is the only sanctioned polling loop (process liveness, file appearance).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Deadline from "../domain/Deadline.js"
import { WaitTimeout } from "../domain/Errors.js"

export interface WaitOptions<R = never> {
  /** what a timeout or Ctrl-C leaves; an effect when it must be judged at that moment */
  readonly leftBehind?: string | Effect.Effect<string, never, R>
}

/**
 * What the interrupted wait left behind, for the command's `--output json` record
 * (Outcome reads it when the command ends; the interrupt carries no data itself).
 */
export const LeftOnInterrupt: FiberRef.FiberRef<Option.Option<string>> = FiberRef.unsafeMake(Option.none<string>())

/**
 * Ctrl-C during a wait ends the command with 130 and leaves the work going on; this
 * says what, the way a timeout does (`leftBehind` is read when the interrupt comes).
 */
export const sayWhenInterrupted = <R2>(what: string, leftBehind: Effect.Effect<string, never, R2>) =>
<A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | R2> =>
  Effect.onInterrupt(self, () =>
    Effect.flatMap(leftBehind, (left) =>
      Effect.zipRight(
        FiberRef.set(LeftOnInterrupt, Option.some(left)),
        Effect.logWarning(`interrupted while waiting for ${what}; ${left}`)
      )))

export const waitFor = <A, E, R, R2 = never>(
  what: string,
  deadline: Deadline.Deadline,
  effect: Effect.Effect<A, E, R>,
  options: WaitOptions<R2> = {}
): Effect.Effect<A, E | WaitTimeout, R | R2> => {
  const left = options.leftBehind === undefined
    ? undefined
    : typeof options.leftBehind === "string"
    ? Effect.succeed(options.leftBehind)
    : options.leftBehind
  const bounded: Effect.Effect<A, E | WaitTimeout, R | R2> = deadline.forever
    ? effect
    : Effect.flatMap(Deadline.remaining(deadline), (remaining) =>
      effect.pipe(
        Effect.timeout(remaining),
        Effect.catchTag("TimeoutException", () =>
          Effect.flatMap(left ?? Effect.succeed(undefined), (leftBehind) =>
            Effect.fail(
              new WaitTimeout({ what, budget: deadline.budget, ...(leftBehind === undefined ? {} : { leftBehind }) })
            )))
      ))
  // outside the timeout: the deadline interrupts the inner effect, and that is a timeout, not Ctrl-C
  return left === undefined ? bounded : sayWhenInterrupted(what, left)(bounded)
}

/** Default interval for process-liveness polling (SPEC 1.2). */
export const LivenessInterval = Duration.millis(100)

/**
 * Repeats `check` every `interval` until it yields Some; the first check runs at once.
 * Unbounded by itself: callers put it inside `waitFor`.
 */
export const poll = <A, E, R>(
  check: Effect.Effect<Option.Option<A>, E, R>,
  interval: Duration.DurationInput = LivenessInterval
): Effect.Effect<A, E, R> => {
  const loop: Effect.Effect<A, E, R> = Effect.flatMap(check, Option.match({
    onNone: () => Effect.zipRight(Effect.sleep(interval), Effect.suspend(() => loop)),
    onSome: Effect.succeed
  }))
  return loop
}

/** `poll` for a boolean condition. */
export const pollUntil = <E, R>(
  check: Effect.Effect<boolean, E, R>,
  interval: Duration.DurationInput = LivenessInterval
): Effect.Effect<void, E, R> =>
  poll(Effect.map(check, (ok) => (ok ? Option.some(undefined) : Option.none())), interval)
