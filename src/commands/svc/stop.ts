/** `rdd svc stop [--wait] [--timeout=5m]` (SPEC 2.3). */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Deadline from "../../domain/Deadline.js"
import * as Timeouts from "../../domain/Timeouts.js"
import * as ControlPlane from "../../services/ControlPlane.js"
import { output, timeout, wait } from "../options.js"
import { runReporting } from "./lifecycle.js"

export const stop = Command.make(
  "stop",
  {
    wait,
    timeout: timeout(Timeouts.LongWaitText, "How long to wait for the control plane to exit before sending SIGTERM"),
    output: output(["text", "json"] as const, "text")
  },
  (o) =>
    runReporting(
      "svc stop",
      o.output,
      // --timeout is validated but ignored with --wait=false: the default bounds the start-gate check
      Effect.flatMap(Deadline.start(o.wait ? o.timeout : Timeouts.LongWait), (deadline) => ControlPlane.stop({ wait: o.wait, deadline }))
    )
).pipe(Command.withDescription("Stop the control plane: SIGINT, then SIGTERM at the deadline"))
