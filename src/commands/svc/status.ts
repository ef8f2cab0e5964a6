/** `rdd svc status [-o text|json]` (SPEC 2.5): three forced info lines, always exit 0. */
import * as Command from "@effect/cli/Command"
import { output } from "../options.js"
import { show } from "./status-show.js"

export const status = Command.make("status", { output: output(["text", "json"] as const, "text") }, show).pipe(
  Command.withDescription("Show whether the control plane is created and running")
)
