/**
 * A command line through @effect/cli: the part of the tree its words select, rdd's
 * own help and usage errors, then the command. Loaded by cli.ts for every command
 * line that domain/DirectCommand.ts does not run directly, with @effect/cli and the
 * rest of the wiring (layers/CliLive.ts, layers/CliFramework.ts).
 */
import * as ValidationError from "@effect/cli/ValidationError"
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as CommandLine from "./domain/CommandLine.js"
import * as DeveloperMode from "./domain/DeveloperMode.js"
import { UsageError } from "./domain/Errors.js"
import * as Version from "./domain/Version.js"
import { commandWords, root } from "./commands/root.js"
import * as Usage from "./commands/usage.js"
import * as Help from "./commands/help.js"
import * as ServeArgs from "./commands/svc/serveArgs.js"
import * as CliFramework from "./layers/CliFramework.js"
import * as CliLive from "./layers/CliLive.js"
import { recordOf } from "./services/Outcome.js"

/** @effect/cli prints usage errors itself; rdd prints its own single line instead. */
const muteConsoleErrors = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Console.consoleWith((console) => Effect.withConsole(self, { ...console, error: () => Effect.void }))

const toUsageError = (tree: { readonly descriptor: unknown }, rest: ReadonlyArray<string>, refuse: (e: UsageError) => Effect.Effect<never, UsageError>) =>
<A, E, R>(self: Effect.Effect<A, E | ValidationError.ValidationError, R>) =>
  Effect.catchIf(self, ValidationError.isValidationError, (e) => refuse(new UsageError({ message: Usage.explain(tree, rest, e) })))

/**
 * Fails with a usage error found before the command's handler ran. A lifecycle
 * verb asked for `--output json` still prints its one outcome record (SPEC 1.3:
 * on exit, success or failure), so a script that parses stdout gets exit 2 in it.
 */
const refuseUsage = (rest: ReadonlyArray<string>, instance: string, startedAt: number) => {
  const verb = CommandLine.lifecycleVerb(commandWords(rest))
  const json = verb !== undefined && Usage.wantsJson(rest)
  return (e: UsageError): Effect.Effect<never, UsageError> =>
    json
      ? Effect.zipRight(Console.log(JSON.stringify(recordOf(verb, instance, Date.now() - startedAt, Exit.fail(e)))), Effect.fail(e))
      : Effect.fail(e)
}

/**
 * rdd's own help (commands/help.ts) when the command line asks for it or names a
 * group without a subcommand, unless a
 * word names no command (that stays a usage error). Plain text; at most 99
 * columns, fewer on a narrower terminal.
 */
const helpFor = (tree: Usage.Node, rest: ReadonlyArray<string>, developerMode: boolean): string | undefined => {
  const { node, path, stop } = Usage.locate(tree, rest)
  const isGroup = Usage.nodeChildren(node).length > 0
  // a group named without a subcommand (`rdd svc`) shows its help, as kubectl does
  if (!Help.wants(Usage.parsedPart(rest), rest) && !(isGroup && stop === undefined)) return undefined
  if (stop !== undefined && !stop.startsWith("-") && isGroup) return undefined
  const hidden = developerMode ? new Set<string>() : DeveloperMode.DeveloperCommands
  return Help.render(tree, path.slice(1), Math.min(100, process.stdout.columns ?? 100) - 1, hidden)
}

/** Runs the command words `rest` (global flags already taken) through @effect/cli. */
export const program = (rest: ReadonlyArray<string>, options: { readonly instance: string; readonly developerMode: boolean; readonly startedAt: number }) => {
  // `rdd set --help` lists the properties of the installed App CRD: read before the tree is built
  const setHelp = rest[0] === "set"
    ? Effect.flatMap(Effect.promise(() => import("./commands/set.js")), (m) =>
      m.wantsSetHelp(rest) ? m.helpTableFor(process.stdout.columns ?? 80) : Effect.succeedNone)
    : Effect.succeedNone
  const refuse = refuseUsage(rest, options.instance, options.startedAt)
  // checked before anything runs: `rdd set --timeout= x=y` must not autostart first
  const emptyValue = Usage.emptyFlagValue(rest)
  const checked = emptyValue === undefined ? setHelp : refuse(new UsageError({ message: emptyValue }))
  return Effect.flatMap(checked, (table) =>
    Effect.flatMap(Effect.promise(() => root(commandWords(rest), { nodeVersion: process.version, setHelp: table })), (tree) => {
      const help = helpFor(tree.descriptor as unknown as Usage.Node, rest, options.developerMode)
      if (help !== undefined) return Console.log(help)
      const badFlag = Usage.unknownFlag(tree, rest) ?? Usage.badBooleanValue(tree, rest)
      if (badFlag !== undefined) return refuse(new UsageError({ message: badFlag }))
      const cli = Command.run(tree, { name: "rdd", version: Version.describe(process.version) })
      return cli(["node", "rdd", ...ServeArgs.normalize(rest)]).pipe(muteConsoleErrors, toUsageError(tree, rest, refuse))
    })).pipe(Effect.provide(Layer.merge(CliLive.layer, CliFramework.layer)))
}
