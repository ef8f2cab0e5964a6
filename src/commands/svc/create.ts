/** `rdd svc create [--controllers=SPEC] [--secure-port=N]` (SPEC 2.1). */
import * as Command from "@effect/cli/Command"
import * as ControlPlane from "../../services/ControlPlane.js"
import { output } from "../options.js"
import { controllers, runReporting, securePort, settings } from "./lifecycle.js"

export const create = Command.make(
  "create",
  { controllers, securePort, output: output(["text", "json"] as const, "text") },
  (o) => runReporting("svc create", o.output, ControlPlane.create(settings(o)))
).pipe(Command.withDescription("Create the control plane's instance directory and saved settings (args.json)"))
