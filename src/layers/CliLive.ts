/**
 * The CLI process's wiring: the one place that decides which implementation of each
 * service a command runs with. Commands (src/commands) name what they need
 * (`CommandEnv` in commands/root.ts) and never import src/layers; src/cli.ts
 * provides this layer to whichever command the command line reaches. The daemon's
 * own wiring is DaemonLive.ts.
 *
 * Built at every start, so it must stay cheap (SPEC 6: `rdd --version`, `rdd svc
 * status`): every layer here is a plain value, and the heavy implementations load
 * on first use through a dynamic import (esbuild gives each its own chunk) — the
 * Kubernetes client inside KubeClientLive, the guest shell's SSH code here.
 */
import * as CliConfig from "@effect/cli/CliConfig"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as os from "node:os"
import type * as Instance from "../domain/Instance.js"
import type * as LogFormat from "../domain/LogFormat.js"
import { GuestShell } from "../services/GuestShell.js"
import { InstanceDir } from "../services/InstanceDir.js"
import { Invocation, type InvocationShape } from "../services/Invocation.js"
import { Serve } from "../services/Serve.js"
import * as KubeClientLive from "./KubeClientLive.js"
import * as Logging from "./Logging.js"
import * as NodeEditor from "./NodeEditor.js"
import * as NodeInstanceDir from "./NodeInstanceDir.js"
import * as NodeKubectl from "./NodeKubectl.js"
import * as NodeProcessManager from "./NodeProcessManager.js"
import * as NodeRunChild from "./NodeRunChild.js"

export interface CliSettings {
  readonly instance: Instance.Instance
  readonly logLevel: LogFormat.Level
  readonly logFormat: LogFormat.Format
  /** stderr is a terminal that may be drawn on (progress lines, colours) */
  readonly isTTY: boolean
  /** what the command line decided, for the commands that pass it on */
  readonly invocation: InvocationShape
}

/** `rdd limavm shell`: the SSH code loads only when a shell is opened. */
const guestShell = Layer.effect(
  GuestShell,
  Effect.map(Effect.context<InstanceDir>(), (context) => ({
    run: (request) =>
      Effect.flatMap(Effect.promise(() => import("./NodeGuestShell.js")), (live) =>
        Effect.flatMap(GuestShell, (shell) => shell.run(request)).pipe(Effect.provide(live.layer), Effect.provide(context)))
  }))
)

/** `rdd svc serve`: the daemon's wiring and all it brings load only here. */
const serve = Layer.effect(
  Serve,
  Effect.map(Effect.context<InstanceDir>(), (context) => ({
    run: (options) =>
      Effect.flatMap(Effect.promise(() => import("./DaemonLive.js")), (daemon) => daemon.serve(options)).pipe(Effect.provide(context))
  }))
)

export const layer = (settings: CliSettings) => {
  const platform = process.platform === "darwin" ? "darwin" : "linux"
  const instanceDir = NodeInstanceDir.layer(settings.instance, { home: os.homedir(), platform, logRoot: process.env["RDD_LOG_ROOT"] })
  // What @effect/cli needs (FileSystem, Path, Terminal) and no more: NodeContext
  // would also build a command executor and worker support at every start.
  const framework = Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer, CliConfig.layer({ showBuiltIns: false }))
  const services = Layer.mergeAll(KubeClientLive.layer, guestShell, serve).pipe(Layer.provideMerge(instanceDir))
  return Layer.mergeAll(
    framework,
    Logging.layer({ level: settings.logLevel, format: settings.logFormat, isTTY: settings.isTTY }),
    NodeProcessManager.layer,
    NodeKubectl.layer,
    NodeRunChild.layer,
    NodeEditor.layer,
    Layer.succeed(Invocation, settings.invocation),
    services
  )
}
