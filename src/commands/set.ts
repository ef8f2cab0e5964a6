/**
 * `rdd set PROPERTY=VALUE... [--wait] [--timeout=5m] [--dry-run] [-o json]`
 * (SPEC 5, reference cli-surface 4): change the app's settings and wait until
 * the app has settled. Malformed arguments are usage errors (exit 2) found
 * before anything starts; then autostart (within min(90s, the deadline)), the
 * write and the wait share the one deadline. `rdd set --help` appends the
 * properties of the installed App CRD (see `helpTableFor`, called by the CLI
 * wiring before the command tree is built).
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Deadline from "../domain/Deadline.js"
import * as Timeouts from "../domain/Timeouts.js"
import * as AppSettings from "../services/AppSettings.js"
import * as AppTemplate from "../services/AppTemplate.js"
import { ensureRunning } from "../services/Autostart.js"
import { findDaemon } from "../services/Daemon.js"
import { output, timeout, wait } from "./options.js"
import { runReporting } from "./svc/lifecycle.js"

export const appTimeout = timeout(Timeouts.LongWaitText, "How long to wait for the app to settle, autostart included")

/** One deadline for the command; without --wait it still bounds autostart and the write. */
export const commandDeadline = (o: { readonly wait: boolean; readonly timeout: Duration.Duration }) =>
  Deadline.start(o.wait ? o.timeout : Duration.decode(Timeouts.LongWait))

const description =
  "Change the app's settings (the App resource) and wait until the app has settled: its VM runs, or not, " +
  "with the new settings. Properties are dotted paths such as running=true or virtualMachine.cpus=2."

const make = (help: Option.Option<string>) =>
  Command.make(
    "set",
    {
      wait,
      timeout: appTimeout,
      dryRun: Options.boolean("dry-run").pipe(
        Options.withDescription("Let the server validate the change without storing anything (nothing is created or changed)")
      ),
      output: output(["text", "json"] as const, "text"),
      properties: Args.text({ name: "PROPERTY=VALUE" }).pipe(Args.atLeast(1))
    },
    (o) =>
      runReporting(
        "set",
        o.output,
        Effect.gen(function*() {
          const assignments = yield* AppSettings.parseArgs(o.properties)
          const deadline = yield* commandDeadline(o)
          yield* ensureRunning(deadline)
          const appTemplate = yield* AppTemplate.fromEnv
          return yield* AppSettings.set(assignments, { dryRun: o.dryRun, wait: o.wait, appTemplate }, deadline)
        })
      )
  ).pipe(
    Command.withDescription(Option.match(help, { onNone: () => description, onSome: (table) => `${description}\n\n${table}` }))
  )

export const set = make(Option.none())

/** The `set` command whose help lists the properties (for `rdd set --help`). */
export const setWithHelp = (table: Option.Option<string>) => make(table)

/** `rdd set ... --help` (or `-h`), global flags already removed: the command line asks for set's help. */
export const wantsSetHelp = (args: ReadonlyArray<string>): boolean =>
  args[0] === "set" && args.slice(1).some((a) => a === "--help" || a === "-h")

/**
 * The "Available properties" table: from the running control plane's CRD, else
 * (none runs, or it does not answer in time) from the CRD this build installs.
 * Help never starts a daemon, unlike the Go tool: a `--help` that spawns a
 * background process and may wait up to the autostart cap surprises people and
 * scripts alike.
 */
export const helpTableFor = (width: number) =>
  Effect.gen(function*() {
    const builtIn = Effect.sync(() => Option.some(AppSettings.builtInHelpTable(width)))
    if (Option.isNone(yield* findDaemon)) return yield* builtIn
    const deadline = yield* Deadline.start(Duration.decode(Timeouts.HelpRead))
    return yield* AppSettings.helpTable(deadline, width).pipe(
      Effect.map(Option.some),
      Effect.orElse(() => builtIn)
    )
  })
