/**
 * The CLI process's wiring beyond CliBase.ts: the one place that decides which
 * implementation of each further service a command runs with. Commands
 * (src/commands) name what they need (`CommandEnv` in commands/root.ts) and never
 * import src/layers; src/cli.ts provides CliBase to every command line and this
 * layer to the commands that may need more (everything but the plain `svc status`
 * and `svc paths`, domain/DirectCommand.ts). The daemon's own wiring is DaemonLive.ts.
 *
 * It must stay cheap to build: every layer here is a plain value, and the heavy
 * implementations load on first use through a dynamic import (esbuild gives each
 * its own chunk) — the Kubernetes client inside KubeClientLive, the guest shell's
 * SSH code here.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { GuestShell } from "../services/GuestShell.js"
import { InstanceDir } from "../services/InstanceDir.js"
import { Serve } from "../services/Serve.js"
import * as CtlLive from "./CtlLive.js"
import * as NodeEditor from "./NodeEditor.js"
import * as NodeRunChild from "./NodeRunChild.js"

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

/** The services beyond CliBase's, built on its InstanceDir. */
export const layer = Layer.mergeAll(
  CtlLive.layer,
  guestShell,
  serve,
  NodeFileSystem.layer,
  NodeRunChild.layer,
  NodeEditor.layer
)
