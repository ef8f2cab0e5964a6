/**
 * `rdd --instance <suffix> svc serve [--controllers=SPEC] [--secure-port=N] [-v N]`: runs
 * the daemon in the foreground (SPEC 2.7). Internal: `svc start` and autostart
 * spawn it detached. Repeated flags: the last occurrence wins (the spawner
 * appends session flags after the saved ones). The server, SQLite and TLS code
 * load only when `Serve` is used (see layers/CliLive.ts), out of every other
 * command's start-up.
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Options from "@effect/cli/Options"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import { Serve } from "../../services/Serve.js"
import { serveControllers, serveSecurePort } from "./lifecycle.js"

/** klog's `-v` (also `--v`): the log level `svc create` saved or a start asked for (domain/Verbosity.ts). */
const verbosity = Options.text("v").pipe(
  Options.repeated,
  Options.withDescription("klog verbosity: 2 logs at debug, 4 at trace; 0 keeps the default level"),
  Options.mapEffect((values) => {
    const raw = values[values.length - 1]
    if (raw === undefined) return Effect.succeed(undefined)
    return /^[0-9]{1,3}$/.test(raw)
      ? Effect.succeed(Number(raw))
      : Effect.fail(ValidationError.invalidValue(HelpDoc.p(`invalid value ${JSON.stringify(raw)} for -v: expected a number`)))
  })
)

// (-v is parsed here so a bad value is a usage error; cli.ts sets the daemon's level from it
// before any line is logged, see ServeArgs.verbosity)
export const serve = Command.make("serve", { controllers: serveControllers, securePort: serveSecurePort, verbosity }, (o) =>
  Effect.flatMap(Serve, (daemon) => daemon.run({ controllers: o.controllers, securePort: o.securePort }))).pipe(Command.withDescription("Run the control plane daemon in the foreground (internal: started by svc start)"))
