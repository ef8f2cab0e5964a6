/** `rdd svc create [--controllers=SPEC] [--secure-port=N]` (SPEC 2.1). */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import * as Verbosity from "../../domain/Verbosity.js"
import { Invocation } from "../../services/Invocation.js"
import * as ControlPlane from "../../services/ControlPlane.js"
import { output } from "../options.js"
import { controllers, runReporting, securePort, settings } from "./lifecycle.js"

export const create = Command.make(
  "create",
  { controllers, securePort, output: output(["text", "json"] as const, "text") },
  (o) =>
    runReporting(
      "svc create",
      o.output,
      // the level is saved as the Go tool saves it (klog -v), so later starts log at it
      Effect.flatMap(Invocation, (inv) => ControlPlane.create({ ...settings(o), verbosity: Verbosity.ofLevel(inv.logLevel) }))
    )
).pipe(Command.withDescription("Create the control plane's instance directory and saved settings (args.json)"))
