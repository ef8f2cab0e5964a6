/**
 * `rdd --instance <suffix> svc serve [--controllers=SPEC] [--secure-port=N]`: runs
 * the daemon in the foreground (SPEC 2.7). Internal: `svc start` and autostart
 * spawn it detached. Repeated flags: the last occurrence wins (the spawner
 * appends session flags after the saved ones). The server, SQLite and TLS code
 * load only when `Serve` is used (see layers/CliLive.ts), out of every other
 * command's start-up.
 */
import * as Command from "@effect/cli/Command"
import * as Effect from "effect/Effect"
import { Serve } from "../../services/Serve.js"
import { serveControllers, serveSecurePort } from "./lifecycle.js"

export const serve = Command.make("serve", { controllers: serveControllers, securePort: serveSecurePort }, (o) =>
  Effect.flatMap(Serve, (daemon) => daemon.run({ controllers: o.controllers, securePort: o.securePort }))).pipe(Command.withDescription("Run the control plane daemon in the foreground (internal: started by svc start)"))
