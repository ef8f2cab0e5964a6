/**
 * Many LimaVMs under the daemon's own controller, on the real API engine and the
 * fake VM driver: what the scale unit test and the `npm run bench` figure
 * "reconcile 50 fake-driver LimaVMs" both set up. Scoped: the controller stops
 * with the scope.
 */
import { Effect, type Scope } from "effect"
import * as Controller from "../../src/controlplane/controllers/limavm/Controller.js"
import { Core } from "../../src/domain/KubeObject.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as FakeVmDriver from "./FakeVmDriver.js"
import * as Engine from "../support/engine.js"

export interface Fleet {
  readonly kube: Engine.Engine
  readonly fake: FakeVmDriver.FakeVmDriver
  readonly names: ReadonlyArray<string>
  /** creates all the LimaVMs at once, each asking to run */
  readonly createAll: Effect.Effect<void>
  /** how many VMs have Running with this reason */
  readonly count: (reason: "Starting" | "Started") => number
}

export const make = (n: number): Effect.Effect<Fleet, never, Scope.Scope> =>
  Effect.gen(function*() {
    const kube = yield* Engine.make()
    const fake = yield* FakeVmDriver.make
    yield* Controller.start({ kube: kube.client, driver: fake.driver, hostArch: "x86_64" })
    yield* kube.client.create(Core.configmaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "tpl", namespace: "default" },
      data: { template: "images:\n- location: /disk.img\n" }
    }).pipe(Effect.orDie)
    const names = Array.from({ length: n }, (_, i) => `vm${i}`)
    return {
      kube,
      fake,
      names,
      createAll: Effect.forEach(names, (name) => kube.client.create(LimaVm.LimaVmType, LimaVm.make("default", name, { name: "tpl" }, true)), {
        concurrency: "unbounded",
        discard: true
      }).pipe(Effect.orDie),
      count: (reason) =>
        kube.all(LimaVm.LimaVmType).filter((o) => LimaVm.condition(LimaVm.fromObject(o), "Running")?.reason === reason).length
    }
  })
