/** `rdd service` (alias `svc`): the control-plane commands. */
import * as Command from "@effect/cli/Command"
import { config } from "./config.js"
import { create } from "./create.js"
import { remove } from "./delete.js"
import { log, logs } from "./log.js"
import { paths } from "./paths.js"
import { serve } from "./serve.js"
import { start } from "./start.js"
import { stop } from "./stop.js"
import { status } from "./status.js"

const subcommands = [create, start, stop, remove, config, log, logs, status, paths, serve] as const

export const service = Command.make("service").pipe(
  Command.withDescription("Manage the rdd control plane (alias: svc)"),
  Command.withSubcommands(subcommands)
)
export const svc = Command.make("svc").pipe(
  Command.withDescription("Manage the rdd control plane"),
  Command.withSubcommands(subcommands)
)
