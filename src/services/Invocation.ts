/**
 * What the command line decided before any command ran, for the commands that
 * pass it on: the log level (and whether it was asked for, see Verbosity) and
 * developer mode. A Context.Reference: commands read it without it becoming a
 * requirement, and tests get the defaults of a plain `rdd`.
 */
import * as Context from "effect/Context"
import type * as LogFormat from "../domain/LogFormat.js"

export interface InvocationShape {
  readonly logLevel: LogFormat.Level
  readonly logLevelExplicit: boolean
  readonly developerMode: boolean
}

export class Invocation extends Context.Reference<Invocation>()("rdd/Invocation", {
  defaultValue: (): InvocationShape => ({ logLevel: "info", logLevelExplicit: false, developerMode: false })
}) {}
