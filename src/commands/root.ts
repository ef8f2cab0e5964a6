/**
 * The command tree of `rdd`, loaded lazily. Each command module is imported only
 * when the command line reaches it, so `rdd svc status` parses its own module and
 * not the VM, app and API-client code of every other command (SPEC 6: start-up
 * time; esbuild gives each dynamic import its own chunk). A word that names no
 * command, or a group named without a subcommand (help, usage errors), loads the
 * whole group, so help and error messages still see every command.
 * To add a command: add an entry below; nothing else imports command modules.
 */
import type * as CliApp from "@effect/cli/CliApp"
import type * as CliConfig from "@effect/cli/CliConfig"
import * as Command from "@effect/cli/Command"
import type * as Option from "effect/Option"
import type { GuestShell } from "../services/GuestShell.js"
import type { InstanceDir } from "../services/InstanceDir.js"
import type { KubeClient } from "../services/KubeClient.js"
import type { Kubectl } from "../services/Kubectl.js"
import type { ProcessManager } from "../services/ProcessManager.js"
import type { Progress } from "../services/Progress.js"
import type { RunChild } from "../services/RunChild.js"
import type { Editor } from "../services/Editor.js"
import type { Serve } from "../services/Serve.js"

export interface TreeContext {
  readonly nodeVersion: string
  /** the "Available properties" table of `rdd set --help`, when it was asked for */
  readonly setHelp: Option.Option<string>
}

/**
 * Every service a command may use, provided by the CLI's wiring (layers/CliLive.ts):
 * a command names the services it needs and never chooses their implementation.
 */
export type CommandEnv =
  | CliApp.CliApp.Environment
  | CliConfig.CliConfig
  | InstanceDir
  | ProcessManager
  | Progress
  | KubeClient
  | Kubectl
  | GuestShell
  | RunChild
  | Serve
  | Editor

// Names, errors and parsed values differ per command and are checked in each module.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyCommand = Command.Command<any, CommandEnv, any, any>
type Leaf = { readonly name: string; readonly load: (ctx: TreeContext) => Promise<AnyCommand> }
type Group = { readonly name: string; readonly description: string; readonly children: ReadonlyArray<Entry> }
type Entry = Leaf | Group

const leaf = (name: string, load: Leaf["load"]): Leaf => ({ name, load })

const serviceCommands: ReadonlyArray<Entry> = [
  leaf("create", () => import("./svc/create.js").then((m) => m.create)),
  leaf("start", () => import("./svc/start.js").then((m) => m.start)),
  leaf("stop", () => import("./svc/stop.js").then((m) => m.stop)),
  leaf("delete", () => import("./svc/delete.js").then((m) => m.remove)),
  leaf("config", () => import("./svc/config.js").then((m) => m.config)),
  leaf("log", () => import("./svc/log.js").then((m) => m.log)),
  leaf("logs", () => import("./svc/log.js").then((m) => m.logs)),
  leaf("status", () => import("./svc/status.js").then((m) => m.status)),
  leaf("paths", () => import("./svc/paths.js").then((m) => m.paths)),
  leaf("serve", () => import("./svc/serve.js").then((m) => m.serve))
]

const tree: Group = {
  name: "rdd",
  description: "rdd, the Rancher Desktop Daemon: runs per-user control planes (a Kubernetes-compatible API on SQLite) " +
    "and their VMs.",
  children: [
    { name: "svc", description: "Manage the rdd control plane", children: serviceCommands },
    { name: "service", description: "Manage the rdd control plane (alias: svc)", children: serviceCommands },
    leaf("completion", (ctx) => import("./completion.js").then((m) => m.completion(() => root([], ctx)))),
    leaf("ctl", () => import("./ctl.js").then((m) => m.ctl)),
    leaf("kubectl", () => import("./kubectl.js").then((m) => m.kubectl)),
    leaf("limavm", () => import("./limavm/index.js").then((m) => m.limavm)),
    leaf("lima", () => import("./limavm/index.js").then((m) => m.lima)),
    leaf("run", () => import("./run.js").then((m) => m.run)),
    leaf("set", (ctx) => import("./set.js").then((m) => m.setWithHelp(ctx.setHelp))),
    leaf("start", () => import("./start.js").then((m) => m.start)),
    leaf("stop", () => import("./stop.js").then((m) => m.stop)),
    leaf("version", (ctx) => import("./version.js").then((m) => m.version(ctx.nodeVersion))),
    leaf("yq", () => import("./yq.js").then((m) => m.yq))
  ]
}

const isLeaf = (e: Entry): e is Leaf => "load" in e

/** The leading command words of a command line (flags end them). */
export const commandWords = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const end = args.findIndex((a) => a.startsWith("-"))
  return end < 0 ? args : args.slice(0, end)
}

/** Builds the part of the tree the command words reach (all of a group they stop at). */
export const root = (words: ReadonlyArray<string>, ctx: TreeContext): Promise<AnyCommand> => {
  const build = async (group: Group, rest: ReadonlyArray<string>): Promise<AnyCommand> => {
    const next = group.children.find((c) => c.name === rest[0])
    const chosen = next === undefined ? group.children : [next]
    const commands = await Promise.all(
      chosen.map((c) => (isLeaf(c) ? c.load(ctx) : build(c, c === next ? rest.slice(1) : [])))
    )
    return Command.make(group.name).pipe(
      Command.withDescription(group.description),
      Command.withSubcommands(commands as [AnyCommand, ...Array<AnyCommand>])
    )
  }
  return build(tree, words)
}
