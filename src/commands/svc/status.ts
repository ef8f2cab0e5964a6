/** `rdd svc status [-o text|json]` (SPEC 2.5): three forced info lines, always exit 0. */
import * as Command from "@effect/cli/Command"
import { OutputFormats } from "../../domain/CommandLine.js"
import { output } from "../options.js"
import { show } from "./status-show.js"

export const status = Command.make("status", { output: output(OutputFormats.svcStatus, OutputFormats.svcStatus[0]) }, show).pipe(
  Command.withDescription("Show whether the control plane is created and running")
)
