/**
 * A test file's shared engine (`perFile`). Apart from test/support/engine.ts
 * because it registers vitest hooks, and the engine itself is also used outside
 * vitest (bench/figures/limavm.ts), where importing vitest throws.
 */
import { Effect, Exit, Logger, Scope } from "effect"
import { afterAll, beforeAll } from "vitest"
import { type Engine, make, type Options } from "./engine.js"

/**
 * One engine for a whole test file, for properties that would otherwise build
 * one per run: built before the file's first test (on the live runtime, so that
 * no run's TestClock owns it), reset to its setup state each time a run asks for
 * it, closed after the file.
 */
export const perFile = (options: Options = {}): Effect.Effect<Engine> => {
  let built: { readonly engine: Engine; readonly scope: Scope.CloseableScope } | undefined
  beforeAll(async () => {
    const scope = await Effect.runPromise(Scope.make())
    // quiet, as in a test: the release logs ("store checkpointed") inherit this
    const quiet = Logger.remove(Logger.defaultLogger)
    built = { scope, engine: await Effect.runPromise(Scope.extend(make(options), scope).pipe(Effect.provide(quiet))) }
  })
  afterAll(async () => {
    if (built !== undefined) await Effect.runPromise(Scope.close(built.scope, Exit.void))
  })
  return Effect.suspend(() =>
    built === undefined ? Effect.dieMessage("Engine.perFile: the engine is built in beforeAll") : Effect.as(built.engine.reset, built.engine)
  )
}
