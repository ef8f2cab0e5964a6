/**
 * `rdd start [--wait] [--timeout=5m] [-o json]` (reference cli-surface 5.1): the
 * same as `rdd set running=true` — creates the App when missing, boots its VM
 * and waits until the app has settled.
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as AppSettings from "../services/AppSettings.js"
import * as AppTemplate from "../services/AppTemplate.js"
import { ensureRunning } from "../services/Autostart.js"
import { output, wait } from "./options.js"
import { appTimeout, commandDeadline } from "./set.js"
import { runReporting } from "./svc/lifecycle.js"

export const start = Command.make(
  "start",
  { wait, timeout: appTimeout, output: output(["text", "json"] as const, "text") },
  (o) =>
    runReporting(
      "start",
      o.output,
      Effect.gen(function*() {
        const deadline = yield* commandDeadline(o)
        yield* ensureRunning(deadline)
        const appTemplate = yield* AppTemplate.fromEnv
        return yield* AppSettings.start({ wait: o.wait, appTemplate }, deadline)
      })
    )
).pipe(
  Command.withDescription("Start the app (rdd set running=true): creates it if needed and waits until its VM runs")
)
