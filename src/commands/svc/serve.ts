/**
 * `rdd --instance <suffix> svc serve [--controllers=SPEC] [--secure-port=N] [-v N]`: runs
 * the daemon in the foreground (SPEC 2.7). Internal: `svc start` and autostart
 * spawn it detached. Repeated flags: the last occurrence wins (the spawner
 * appends session flags after the saved ones). The server, SQLite and TLS code
 * are loaded only here, through a dynamic import, to keep them out of every other
 * command's start-up.
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as ServeArgs from "./serveArgs.js"
import * as ControllerSpec from "../../domain/ControllerSpec.js"

const last = <A>(values: ReadonlyArray<A>): A | undefined => values[values.length - 1]

const controllers = Options.text("controllers").pipe(
  Options.repeated,
  Options.withDescription("Controllers to run: comma-separated names or API groups, * for all, a leading - excludes (default *)"),
  Options.mapEffect((values) => {
    const spec = ServeArgs.restoreEmpty(last(values) ?? ControllerSpec.DefaultSpec)
    const parsed = ControllerSpec.parse(spec)
    return parsed._tag === "Left" ? Effect.fail(ValidationError.invalidValue(HelpDoc.p(parsed.left))) : Effect.succeed(spec)
  })
)

const securePort = Options.text("secure-port").pipe(
  Options.repeated,
  Options.withDescription("Port of the HTTPS API on 127.0.0.1 (default 6443 + instance index)"),
  Options.mapEffect((values) => {
    const raw = last(values)
    if (raw === undefined) return Effect.succeed(undefined)
    const n = Number(raw)
    return /^[0-9]+$/.test(raw) && n >= 1 && n <= 65535
      ? Effect.succeed(n)
      : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`invalid value ${JSON.stringify(raw)} for --secure-port: expected a port number 1-65535`)))
  })
)

/** klog's `-v` (also `--v`): the log level `svc create` saved or a start asked for (domain/Verbosity.ts). */
const verbosity = Options.text("v").pipe(
  Options.repeated,
  Options.withDescription("klog verbosity: 2 logs at debug, 4 at trace; 0 keeps the default level"),
  Options.mapEffect((values) => {
    const raw = last(values)
    if (raw === undefined) return Effect.succeed(undefined)
    return /^[0-9]{1,3}$/.test(raw)
      ? Effect.succeed(Number(raw))
      : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`invalid value ${JSON.stringify(raw)} for -v: expected a number`)))
  })
)

// (parsed here so a bad value is a usage error; cli.ts sets the daemon's level from it
// before any line is logged, see ServeArgs.verbosity)
export const serve = Command.make("serve", { controllers, securePort, verbosity }, (o) =>
  Effect.flatMap(
    Effect.promise(() => import("../../controlplane/serve.js")),
    (daemon) => daemon.serve({ controllers: o.controllers, securePort: o.securePort })
  )).pipe(Command.withDescription("Run the control plane daemon in the foreground (internal: started by svc start)"))
