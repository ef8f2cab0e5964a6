/** `rdd svc log [-f] [--stdout]` (alias `logs`, SPEC 2.6): the daemon's stderr (or stdout) log. */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as DaemonLog from "../../services/DaemonLog.js"
import { InstanceDir } from "../../services/InstanceDir.js"

const options = {
  follow: Options.boolean("follow").pipe(Options.withAlias("f"), Options.withDescription("Keep printing new lines, across restarts (like tail -F)")),
  stdout: Options.boolean("stdout").pipe(Options.withDescription("Show the daemon's stdout log instead of its stderr log"))
}

const handler = (o: { readonly follow: boolean; readonly stdout: boolean }) =>
  Effect.flatMap(InstanceDir, (dir) =>
    DaemonLog.show(o.stdout ? dir.paths.stdout_log : dir.paths.stderr_log, o.follow)).pipe(Logger.withMinimumLogLevel(LogLevel.Info))

const describe = Command.withDescription("Print the control plane's log (-f follows it)")

export const log = Command.make("log", options, handler).pipe(describe)
export const logs = Command.make("logs", options, handler).pipe(describe)
