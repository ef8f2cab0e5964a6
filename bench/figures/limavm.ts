/**
 * How fast the LimaVM controller reconciles many VMs at once: 50 LimaVMs
 * created together with the fake VM driver (guests "boot" instantly), timed in
 * real time from the first create until all 50 report Running=True/Started.
 * The controller is the daemon's own; the API is the in-memory KubeClient the
 * unit tests use, so the figure is the controller's work, not HTTP or SQLite.
 */
import { Duration, Effect, Logger, LogLevel } from "effect"
import * as Controller from "../../src/controlplane/controllers/limavm/Controller.js"
import { Core } from "../../src/domain/KubeObject.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as FakeVmDriver from "../../test/fakes/FakeVmDriver.js"
import * as InMemoryKube from "../../test/fakes/InMemoryKube.js"
import { type Figure, measured } from "../Figure.js"
import { summarize } from "../stats.js"

export const Specs = {
  reconcile: { id: "vm.limavm-reconcile-50", title: "reconcile 50 fake-driver LimaVMs, create → Running", unit: "ms" }
} as const

const N = 50

const once: Effect.Effect<number, Error> = Effect.scoped(Effect.gen(function*() {
  const kube = yield* InMemoryKube.make
  const fake = yield* FakeVmDriver.make
  yield* Controller.start({ kube: kube.client, driver: fake.driver, hostArch: "x86_64" })
  yield* kube.client.create(Core.configmaps, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "tpl", namespace: "default" },
    data: { template: "images:\n- location: /disk.img\n" }
  }).pipe(Effect.orDie)
  const names = Array.from({ length: N }, (_, i) => `vm${i}`)
  const started = () =>
    kube.all(LimaVm.LimaVmType).filter((o) => LimaVm.condition(LimaVm.fromObject(o), "Running")?.reason === "Started").length
  const t0 = performance.now()
  yield* Effect.forEach(names, (n) => kube.client.create(LimaVm.LimaVmType, LimaVm.make("default", n, { name: "tpl" }, true)), {
    concurrency: "unbounded",
    discard: true
  }).pipe(Effect.orDie)
  // a bench loop, bounded: the controller runs in this process, so check between its steps
  const done = Effect.suspend(() => (started() === N ? Effect.succeed(true) : Effect.as(Effect.sleep(Duration.millis(2)), false)))
  yield* done.pipe(
    Effect.repeat({ until: (ok) => ok }),
    Effect.timeoutFail({ duration: "60 seconds", onTimeout: () => new Error(`only ${started()} of ${N} VMs reached Running in 60s`) })
  )
  return performance.now() - t0
})).pipe(Logger.withMinimumLogLevel(LogLevel.None)) // 50 VMs' condition lines would bury the report

export const limavmReconcile = (options: { readonly rounds: number }): Effect.Effect<ReadonlyArray<Figure>, Error> =>
  Effect.gen(function*() {
    const samples: Array<number> = []
    for (let i = 0; i < options.rounds; i++) samples.push(yield* once)
    const s = summarize(samples)
    return [measured({ ...Specs.reconcile, value: s.p50, samples: s, note: `median of ${options.rounds} rounds; in-memory API, fake driver` })]
  })
