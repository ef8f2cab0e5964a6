/**
 * Running the daemon in this process (`rdd svc serve`, SPEC 2.7). The command
 * parses its flags and asks for this; the CLI's wiring (layers/CliLive.ts) loads
 * the daemon's own wiring (layers/DaemonLive.ts), and with it the server, SQLite
 * and TLS code, only when it is used.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type { Failure } from "../domain/Errors.js"

export interface ServeOptions {
  /** the --controllers spec (last occurrence) */
  readonly controllers: string
  /** the --secure-port (last occurrence); default 6443 + index */
  readonly securePort: number | undefined
}

export interface ServeShape {
  /** Runs until the first SIGINT/SIGTERM has been handled (a second one exits at once). */
  readonly run: (options: ServeOptions) => Effect.Effect<void, Failure>
}

export class Serve extends Context.Tag("rdd/Serve")<Serve, ServeShape>() {}
