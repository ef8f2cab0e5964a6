/** `rdd service` (alias `svc`): the control-plane commands. */
import * as Command from "@effect/cli/Command"
import { paths } from "./paths.js"
import { status } from "./status.js"

const subcommands = [status, paths] as const

export const service = Command.make("service").pipe(
  Command.withDescription("Manage the rdd control plane (alias: svc)"),
  Command.withSubcommands(subcommands)
)
export const svc = Command.make("svc").pipe(
  Command.withDescription("Manage the rdd control plane"),
  Command.withSubcommands(subcommands)
)
