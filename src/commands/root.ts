/** The command tree of `rdd`. */
import * as Command from "@effect/cli/Command"
import { ctl } from "./ctl.js"
import { kubectl } from "./kubectl.js"
import { lima, limavm } from "./limavm/index.js"
import { set as setCommand } from "./set.js"
import { start } from "./start.js"
import { stop } from "./stop.js"
import { service, svc } from "./svc/index.js"
import { version } from "./version.js"

export const root = (nodeVersion: string, set: typeof setCommand = setCommand) =>
  Command.make("rdd").pipe(
    Command.withDescription(
      "Rancher Desktop Daemon: manages per-user control planes (a Kubernetes-compatible API on SQLite) and their VMs. " +
        "Global flags, before the subcommand: --instance NAME, --log-level LEVEL, --log-format text|json."
    ),
    Command.withSubcommands([svc, service, ctl, kubectl, limavm, lima, set, start, stop, version(nodeVersion)])
  )
