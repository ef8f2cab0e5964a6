/**
 * The part of the CLI's wiring every command runs with: logging, the instance's
 * directory, processes, and what the command line decided. Loaded by cli.ts at
 * every start, so it imports no more than these need (SPEC 6: `rdd svc status`
 * runs with this alone); the rest of the wiring is CliLive.ts, loaded with the
 * commands that use it.
 */
import * as Layer from "effect/Layer"
import type * as Instance from "../domain/Instance.js"
import type * as LogFormat from "../domain/LogFormat.js"
import { Invocation, type InvocationShape } from "../services/Invocation.js"
import * as HostEnv from "./HostEnv.js"
import * as Logging from "./Logging.js"
import * as NodeInstanceDir from "./NodeInstanceDir.js"
import * as NodeProcessManager from "./NodeProcessManager.js"

export interface CliSettings {
  readonly instance: Instance.Instance
  readonly logLevel: LogFormat.Level
  readonly logFormat: LogFormat.Format
  /** stderr is a terminal that may be drawn on (progress lines, colours) */
  readonly isTTY: boolean
  /** what the command line decided, for the commands that pass it on */
  readonly invocation: InvocationShape
}

export const layer = (settings: CliSettings) => {
  return Layer.mergeAll(
    NodeInstanceDir.layer(settings.instance, HostEnv.pathEnv()),
    Logging.layer({ level: settings.logLevel, format: settings.logFormat, isTTY: settings.isTTY }),
    NodeProcessManager.layer,
    Layer.succeed(Invocation, settings.invocation)
  )
}
