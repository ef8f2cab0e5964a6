/**
 * The `engine` controller: mirrors the App's container engine into the App's
 * `ContainerEngineReady` condition and keeps the instance's Docker context
 * (Reconciler.ts), on the worker the App's condition controllers share
 * (../app/ConditionWorker.ts).
 */
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Engine from "../../../domain/app/Engine.js"
import * as EngineReady from "../../../domain/app/EngineReady.js"
import * as DockerContext from "../../../domain/DockerContext.js"
import { KubeClient } from "../../../services/KubeClient.js"
import * as Host from "../app/Host.js"
import * as ConditionWorker from "../app/ConditionWorker.js"
import { type Controller, Daemon } from "../Controller.js"
import * as Probe from "./Probe.js"
import * as Reconciler from "./Reconciler.js"

/** The context store of `home`, for the instance `suffix` whose engine socket is `socket`. */
export const contextStore = (home: string, suffix: string, socket: string): Reconciler.DockerContextStore => {
  const name = DockerContext.nameFor(suffix)
  const dir = DockerContext.metaDir(home, createHash("sha256").update(name).digest("hex"))
  const file = path.join(dir, "meta.json")
  const text = DockerContext.metaJson(name, socket)
  const attempt = (what: string, f: () => void) =>
    Effect.try({ try: f, catch: (e) => `cannot ${what} the Docker context ${name}: ${e instanceof Error ? e.message : String(e)}` })
  return {
    write: attempt("write", () => {
      try {
        if (fs.readFileSync(file, "utf8") === text) return
      } catch {
        // absent: written below
      }
      // docker creates these with 0755/0644; the endpoint is no secret
      fs.mkdirSync(dir, { recursive: true })
      fs.writeFileSync(`${file}.tmp`, text)
      fs.renameSync(`${file}.tmp`, file)
    }),
    remove: attempt("remove", () => fs.rmSync(dir, { recursive: true, force: true }))
  }
}

/** Starts the worker and the watches in the current scope. Exposed for tests (fake KubeClient and probe, TestClock). */
export const start = (deps: Reconciler.Deps) => ConditionWorker.start<Reconciler.Memory>("engine", deps.kube, (memory) => Reconciler.pass(deps, memory))

export const engine: Controller = {
  name: Engine.ControllerName,
  run: Effect.gen(function*() {
    const kube = yield* KubeClient
    const daemon = yield* Daemon
    const suffix = daemon.instance.replace(/^rancher-desktop-/, "")
    const dockerSocket = Host.dockerSocket(daemon)
    yield* start({
      kube,
      probe: Probe.live,
      context: contextStore(os.homedir(), suffix, dockerSocket),
      dockerSocket,
      removeStaleSocket: Effect.try({
        try: () => {
          if (fs.lstatSync(dockerSocket, { throwIfNoEntry: false })?.isSocket() === true) fs.rmSync(dockerSocket)
        },
        catch: (e) => `cannot remove the stale docker socket ${dockerSocket}: ${e instanceof Error ? e.message : String(e)}`
      }),
      limaHome: daemon.paths.lima_home,
      failAfter: EngineReady.DefaultFailAfter
    })
    yield* Effect.logInfo("engine controller running")
  })
}
