/**
 * Wiring of the command line: global flags, layers, reporting and the exit code.
 * A plain `svc status`, `svc paths` or `ctl` runs its handler directly
 * (domain/DirectCommand.ts); every other command line goes through @effect/cli
 * (parsedCommandLine.ts, loaded only then). `runMain`'s teardown is the only place
 * that ends the process, with the code from `exitCodeOf`.
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as DirectCommand from "./domain/DirectCommand.js"
import { Failure } from "./domain/Errors.js"
import { classify, exitCodeOf } from "./domain/ExitCode.js"
import * as GlobalArgs from "./domain/GlobalArgs.js"
import * as LogFormat from "./domain/LogFormat.js"
import * as Verbosity from "./domain/Verbosity.js"
import * as Version from "./domain/Version.js"
import * as PathsShow from "./commands/svc/paths-show.js"
import * as ServeArgs from "./commands/svc/serveArgs.js"
import * as StatusShow from "./commands/svc/status-show.js"
import * as CliBase from "./layers/CliBase.js"
import * as HostEnv from "./layers/HostEnv.js"
import { InstanceDir } from "./services/InstanceDir.js"

/** One line on stderr for a failed command, at the level the Go tool used. */
const report = (cause: Cause.Cause<unknown>): Effect.Effect<void> =>
  Option.match(Cause.failureOption(cause), {
    onNone: () =>
      Cause.isInterruptedOnly(cause)
        ? Effect.void
        : Effect.zipRight(
          Effect.logDebug(Cause.pretty(cause)),
          Effect.logFatal(`internal error: ${Cause.squash(cause) instanceof Error ? (Cause.squash(cause) as Error).message : String(Cause.squash(cause))}`)
        ),
    onSome: (e) => {
      const message = typeof e === "object" && e !== null && "message" in e ? String((e as { message: unknown }).message) : String(e)
      const level = classify(e).report
      return level === "none" ? Effect.void : level === "error" ? Effect.logError(message) : Effect.logFatal(message)
    }
  })

/** The rest of the CLI's wiring (layers/CliLive.ts), loaded for the commands that need it. */
const withLive = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.promise(() => import("./layers/CliLive.js")), (m) => Effect.provide(self, m.layer))

/**
 * A plain command line (domain/DirectCommand.ts) runs its handler without
 * @effect/cli, and with only the layers it uses: `svc status` and `svc paths`
 * need nothing beyond CliBase, `ctl` on a ready control plane only CtlLive
 * (SPEC 6: start-up time).
 */
const directProgram = (d: DirectCommand.Direct) => {
  switch (d.command) {
    case "svc status":
      return d.output === "json" ? withLive(StatusShow.json) : StatusShow.text
    case "svc paths":
      return PathsShow.show({ key: Option.fromNullable(d.key), output: d.output })
    case "ctl":
      // on a ready control plane kubectl runs with CtlLive alone; autostart loads the rest
      return Effect.gen(function*() {
        const ctl = yield* Effect.promise(() => import("./commands/ctl-run.js"))
        const deadline = yield* ctl.deadline
        const ctlLive = yield* Effect.promise(() => import("./layers/CtlLive.js"))
        if (yield* Effect.provide(ctl.kubectlIfReady(d.args), ctlLive.layer)) return
        yield* withLive(ctl.kubectlOnInstance(d.args, deadline))
      })
  }
}

/** Runs the command line `args` (the words after `rdd`); the process ends with its exit code. */
export const run = (args: ReadonlyArray<string>): void => {
  const startedAt = Date.now()
  const parsed = GlobalArgs.parse(GlobalArgs.passThroughArgv(args), process.env, HostEnv.inCheckout(process.argv[1]))
  const isTTY = HostEnv.stderrDrawable()
  if (Either.isLeft(parsed)) {
    // No logger exists yet: write the record the way the text logger would.
    process.stderr.write(`${LogFormat.text({ level: "fatal", message: parsed.left, time: new Date() })}\n`)
    process.exitCode = 2
    return
  }
  const words = ServeArgs.settingsFlagsAfterCommand(parsed.right.rest)
  // the daemon logs at the level its saved or session `-v` asks for (0: its own default)
  const v = ServeArgs.verbosity(words)
  const daemonLevel = v === undefined ? undefined : Verbosity.levelOf(v)
  const g = { ...parsed.right, rest: words, logLevel: daemonLevel ?? parsed.right.logLevel }
  // `--version[=VALUE]` is the root's own flag: it answers at once, whatever follows (as in the Go tool)
  const versionText = g.rest[0] === undefined ? undefined : Version.forFlag(g.rest[0], { nodeVersion: process.version, platform: process.platform, arch: process.arch })
  if (versionText !== undefined) {
    process.stdout.write(`${versionText}\n`)
    return
  }
  const live = CliBase.layer({
    instance: g.instance,
    logLevel: g.logLevel,
    logFormat: g.logFormat,
    isTTY,
    invocation: { logLevel: g.logLevel, logLevelExplicit: g.logLevelExplicit, developerMode: g.developerMode }
  })
  // --log-level=debug: which instance and which files this command works on, first
  const announce = Effect.flatMap(InstanceDir, (d) =>
    Effect.logDebug(`instance ${JSON.stringify(d.instance.name)}: directory ${d.paths.dir}, logs ${d.paths.log_dir}`))
  const direct = DirectCommand.match(g.rest)
  const command = direct === undefined
    ? Effect.flatMap(Effect.promise(() => import("./parsedCommandLine.js")), (m) =>
      m.program(g.rest, { instance: g.instance.name, developerMode: g.developerMode, startedAt }))
    : directProgram(direct)
  const program = Effect.zipRight(announce, command).pipe(
    Effect.catchAllDefect((d) => Effect.fail(new Failure({ message: `internal error: ${String(d)}`, cause: d }))),
    Effect.tapErrorCause(report),
    Effect.provide(live)
  )
  // A failure is reported once, by `report`. The main fiber ends with the program's
  // Exit as its value rather than failing, or Effect would log "Fiber terminated with
  // an unhandled error" (debug level) when it ends, repeating it in the runtime's words.
  // Fibers it forks (the daemon's) inherit the setting: their failures are handled or logged where they happen.
  NodeRuntime.runMain(Effect.exit(Effect.withUnhandledErrorLogLevel(program, Option.none())), {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    // (the teardown is typed for any program: the value is checked to be the program's Exit)
    teardown: (exit, onExit) => {
      const programExit: Exit.Exit<unknown, unknown> = Exit.isSuccess(exit) && Exit.isExit(exit.value) ? exit.value : exit
      onExit(exitCodeOf(programExit))
    }
  })
}
