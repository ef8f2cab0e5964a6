/** `rdd svc start [--wait] [--timeout=90s] [--controllers=SPEC] [--secure-port=N]` (SPEC 2.2). */
import * as Command from "@effect/cli/Command"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Deadline from "../../domain/Deadline.js"
import * as Timeouts from "../../domain/Timeouts.js"
import * as ControlPlane from "../../services/ControlPlane.js"
import { output, timeout, wait } from "../options.js"
import { controllers, runReporting, securePort, sessionVerbosity, settings } from "./lifecycle.js"

export const start = Command.make(
  "start",
  {
    wait,
    timeout: timeout(Timeouts.StartWaitText, "How long to wait for the control plane to be ready"),
    controllers,
    securePort,
    output: output(["text", "json"] as const, "text")
  },
  (o) =>
    runReporting(
      "svc start",
      o.output,
      Effect.flatMap(Deadline.start(o.wait ? o.timeout : Duration.decode(Timeouts.StartWait)), (deadline) =>
        Effect.flatMap(sessionVerbosity, (verbosity) =>
          ControlPlane.start({ wait: o.wait, deadline, settings: { ...settings(o), ...verbosity } })))
    )
).pipe(
  Command.withDescription("Start the control plane (creating it if needed) and wait until it is ready")
)
