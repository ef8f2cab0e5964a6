/**
 * `rdd stop [--wait] [--timeout=5m] [-o json]` (reference cli-surface 5.2): the
 * same as `rdd set running=false`, except that a missing App is never created
 * (`App does not exist; nothing to stop`, exit 0).
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as AppSettings from "../services/AppSettings.js"
import { ensureRunning } from "../services/Autostart.js"
import { output, wait } from "./options.js"
import { appTimeout, commandDeadline } from "./set.js"
import { runReporting } from "./svc/lifecycle.js"

export const stop = Command.make(
  "stop",
  { wait, timeout: appTimeout, output: output(["text", "json"] as const, "text") },
  (o) =>
    runReporting(
      "stop",
      o.output,
      Effect.gen(function*() {
        const deadline = yield* commandDeadline(o)
        yield* ensureRunning(deadline)
        return yield* AppSettings.stop({ wait: o.wait }, deadline)
      })
    )
).pipe(
  Command.withDescription("Stop the app (rdd set running=false) and wait until its VM has stopped; never creates the app")
)
