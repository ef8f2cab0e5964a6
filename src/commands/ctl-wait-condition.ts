/**
 * `rdd ctl wait-condition ...` (SPEC 5): reached through `rdd ctl`'s first
 * argument (its own flag set, parsed here, as the Go tool did). Autostart and the
 * wait share one deadline: `--timeout` (default 30s).
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Deadline from "../domain/Deadline.js"
import { ensureRunning } from "../services/Autostart.js"
import * as WaitCondition from "../services/WaitCondition.js"

export const Name = "wait-condition"

export const waitCondition = (args: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const request = yield* Either.match(WaitCondition.parseArgs(args), { onLeft: Effect.fail, onRight: Effect.succeed })
    const deadline = yield* Deadline.start(request.timeout)
    yield* ensureRunning(deadline)
    yield* WaitCondition.run(request, deadline)
  })
