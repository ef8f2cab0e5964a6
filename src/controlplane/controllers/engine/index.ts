/**
 * The `engine` controller: mirrors the App's container engine into the App's
 * `ContainerEngineReady` condition and keeps the instance's Docker context
 * (Reconciler.ts). One worker; a pass runs when the App, its LimaVM `rd` or the
 * VM's template copy changes, and again after the delay the pass asks for while
 * the engine is expected to answer (the engine itself sends no events). A
 * failed pass (the API refused a write) is retried after a capped backoff.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as App from "../../../domain/App.js"
import * as Engine from "../../../domain/app/Engine.js"
import * as EngineReady from "../../../domain/app/EngineReady.js"
import * as DockerContext from "../../../domain/DockerContext.js"
import { Core, type ResourceType } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import { KubeClient, type KubeClientShape } from "../../../services/KubeClient.js"
import * as Host from "../app/Host.js"
import { type Controller, Daemon } from "../Controller.js"
import * as Probe from "./Probe.js"
import * as Reconciler from "./Reconciler.js"

const WatchRetry = Duration.seconds(2)
const RetryAfterFailure = Duration.seconds(5)

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
export const start = (deps: Reconciler.Deps) =>
  Effect.gen(function*() {
    const wake = yield* Queue.sliding<void>(1)
    const memory = yield* Ref.make(Option.none<Reconciler.Memory>())
    const worker: Effect.Effect<never> = Effect.gen(function*() {
      const next = yield* Reconciler.pass(deps, memory).pipe(
        Effect.catchAll((message) => Effect.as(Effect.logDebug(`engine: ${message} (retrying)`), RetryAfterFailure))
      )
      yield* next === undefined ? Queue.take(wake) : Effect.raceFirst(Queue.take(wake), Effect.sleep(next))
    }).pipe(Effect.forever)
    const follow = (type: ResourceType, options: Parameters<KubeClientShape["watch"]>[1]) =>
      deps.kube.watch(type, options).pipe(
        Stream.runForEach((event) => (event.type === "BOOKMARK" ? Effect.void : Queue.offer(wake, undefined))),
        Effect.catchAll((e) => Effect.logDebug(`engine controller: watch of ${type.resource} failed: ${e.message}; retrying`)),
        Effect.zipRight(Effect.sleep(WatchRetry)),
        Effect.forever,
        Effect.forkScoped
      )
    yield* follow(App.AppType, { fieldSelector: `metadata.name=${App.SingletonName}` })
    yield* follow(LimaVm.LimaVmType, { fieldSelector: `metadata.name=${App.VmName}` })
    yield* follow(Core.configmaps, { fieldSelector: `metadata.name=${App.TemplateCopyName}` })
    yield* Effect.forkScoped(worker)
  })

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
