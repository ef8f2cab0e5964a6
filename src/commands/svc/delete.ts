/** `rdd svc delete [--timeout=5m]` (SPEC 2.4): always waits for the daemon to exit before removing anything. */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Deadline from "../../domain/Deadline.js"
import * as Timeouts from "../../domain/Timeouts.js"
import * as ControlPlane from "../../services/ControlPlane.js"
import { output, timeout } from "../options.js"
import { runReporting } from "./lifecycle.js"

export const remove = Command.make(
  "delete",
  {
    timeout: timeout(Timeouts.LongWaitText, "How long to wait for the control plane to exit; on timeout nothing is removed"),
    output: output(["text", "json"] as const, "text")
  },
  (o) => runReporting("svc delete", o.output, Effect.flatMap(Deadline.start(o.timeout), ControlPlane.remove))
).pipe(Command.withDescription("Stop the control plane and remove its service, log and short directories"))
