/** `rdd limavm` (alias `lima`): LimaVM virtual machines (SPEC 4.5). */
import * as Command from "@effect/cli/Command"
import { edit } from "./edit.js"
import { list, log, logs } from "./list.js"
import { shell } from "./shell.js"
import { create, remove, restart, start, stop } from "./verbs.js"

const subcommands = [create, start, stop, restart, remove, edit, list, logs, log, shell] as const
const description = "Manage LimaVM resources: create, start, stop, and delete LimaVM virtual machines"

export const limavm = Command.make("limavm").pipe(Command.withDescription(description), Command.withSubcommands(subcommands))
export const lima = Command.make("lima").pipe(Command.withDescription(`${description} (alias of limavm)`), Command.withSubcommands(subcommands))
