/**
 * Eager composition for the API's request path: create, the commit every write
 * shares, and admission run when they are called, and steps that are already
 * finished (an `Exit`) are chained inline, without a fiber. A create of a ConfigMap is a dozen such steps (decode,
 * defaults, validation, admission with no plugin for the type, one SQLite
 * statement); run by the fiber runtime, their forks, run-loop steps and fiber
 * references cost about a tenth of the request's CPU (profile of 8,000 creates,
 * 2026-12-06), and the HTTP handler answers an `Exit` without forking at all.
 * At the first step that is not finished (a plugin calling the API, a write
 * lock held by another writer, a log line) the rest is handed to Effect as one
 * `flatMap` chain, so nothing changes for code that suspends.
 *
 * What callers must know: calling an eager function *runs* it; the Effect it
 * returns is the outcome, or the remainder of one run, and is not to be run
 * twice or kept for later. Call it where its effect is to happen (inside
 * `Effect.gen`, a continuation, a handler); a lazy caller that retries wraps it
 * in `Effect.suspend`. Failures made by `Effect.fail` are not `Exit`s (they
 * capture the fiber's span), so a failing request takes the fiber path; only
 * the successful steps need to be fast.
 */
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { type YieldWrap, yieldWrapGet } from "effect/Utils"

type Yielded = YieldWrap<Effect.Effect<unknown, unknown, unknown>>
type ErrorOf<Eff> = [Eff] extends [never] ? never : [Eff] extends [YieldWrap<Effect.Effect<infer _A, infer E, infer _R>>] ? E : never
type ContextOf<Eff> = [Eff] extends [never] ? never : [Eff] extends [YieldWrap<Effect.Effect<infer _A, infer _E, infer R>>] ? R : never

/**
 * Drives the generator through every finished step; the first unfinished one
 * becomes `flatMap(step, continue)`. Like `Effect.gen`, a failed step abandons
 * the generator (no `return()`), and a throw is a defect.
 */
const drive = (iterator: Iterator<Yielded, unknown, unknown>, input: unknown): Effect.Effect<unknown, unknown, unknown> => {
  let value = input
  for (;;) {
    let step: IteratorResult<Yielded, unknown>
    try {
      step = iterator.next(value)
    } catch (defect) {
      return Exit.die(defect)
    }
    if (step.done === true) return Exit.succeed(step.value)
    const effect = yieldWrapGet(step.value)
    if (!Exit.isExit(effect)) return Effect.flatMap(effect, (a) => drive(iterator, a))
    if (Exit.isFailure(effect)) return effect
    value = effect.value
  }
}

/** `Effect.gen`, run now: see the module comment. */
export const gen = <Eff extends Yielded, A>(
  f: () => Generator<Eff, A, never>
): Effect.Effect<A, ErrorOf<Eff>, ContextOf<Eff>> =>
  drive(f() as unknown as Iterator<Yielded, unknown, unknown>, undefined) as Effect.Effect<A, ErrorOf<Eff>, ContextOf<Eff>>

/** `Effect.flatMap`, applied now when `self` is finished. */
export const flatMap = <A, E, R, B, E2, R2>(
  self: Effect.Effect<A, E, R>,
  f: (a: A) => Effect.Effect<B, E2, R2>
): Effect.Effect<B, E | E2, R | R2> => {
  if (!Exit.isExit(self)) return Effect.flatMap(self, f)
  const exit = self as Exit.Exit<A, E>
  return Exit.isSuccess(exit) ? f(exit.value) : (exit as Exit.Exit<never, E>)
}

/** `Effect.mapError`, applied now when `self` is finished. */
export const mapError = <A, E, R, E2>(self: Effect.Effect<A, E, R>, f: (e: E) => E2): Effect.Effect<A, E2, R> =>
  Exit.isExit(self) ? Exit.mapError(self as Exit.Exit<A, E>, f) : Effect.mapError(self, f)
