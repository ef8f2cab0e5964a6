/**
 * Whatever happens to a set of VMs — start, stop, restart requests, crashes,
 * guests that boot slowly, all interleaved with time passing — once things
 * settle the controller has converged: a VM runs (a process, Running=True/Started)
 * iff its spec says so, stopped ones are Running=False/Stopped, and restartCount
 * equals the number of boots that reached Running. The real controller, the
 * real API engine and the fake driver, on the TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, FastCheck as fc, TestClock } from "effect"
import * as Controller from "../../src/controlplane/controllers/limavm/Controller.js"
import { Core } from "../../src/domain/KubeObject.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as FakeVmDriver from "../fakes/FakeVmDriver.js"
import * as EngineFile from "../support/engineFile.js"

type Op =
  | { readonly op: "start" | "stop" | "restart" | "crash"; readonly vm: number }
  | { readonly op: "wait"; readonly ms: number }

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constantFrom("start" as const, "stop" as const, "restart" as const, "crash" as const), vm: fc.integer({ min: 0, max: 2 }) }),
  fc.record({ op: fc.constant("wait" as const), ms: fc.integer({ min: 0, max: 4000 }) })
)

const settle = Effect.gen(function*() {
  for (let i = 0; i < 300; i++) yield* Effect.yieldNow()
})

describe("LimaVM controller convergence", () => {
  // one engine for every run, reset by each (building one per run cost ~0.2 s a run)
  const engine = EngineFile.perFile()
  it.effect.prop(
    "after any sequence of requests, crashes and delays, state matches spec",
    { ops: fc.array(opArb, { maxLength: 12 }), boot: fc.integer({ min: 0, max: 3000 }) },
    ({ ops, boot }) =>
      Effect.gen(function*() {
        const kube = yield* engine
        const fake = yield* FakeVmDriver.make
        yield* Controller.start({ kube: kube.client, driver: fake.driver, hostArch: "x86_64" }, {
          initial: Duration.seconds(1),
          max: Duration.seconds(4)
        })
        yield* kube.client.create(Core.configmaps, {
          apiVersion: "v1",
          kind: "ConfigMap",
          metadata: { name: "tpl", namespace: "default" },
          data: { template: "images:\n- location: /disk.img\n" }
        })
        const names = ["a", "b", "c"]
        for (const n of names) {
          fake.script(n, { bootDelay: Duration.millis(boot) })
          yield* kube.client.create(LimaVm.LimaVmType, LimaVm.make("default", n, { name: "tpl" }, false))
        }
        yield* settle
        for (const o of ops) {
          if (o.op === "wait") {
            yield* TestClock.adjust(Duration.millis(o.ms))
          } else {
            const name = names[o.vm]!
            const ref = LimaVm.refOf("default", name)
            if (o.op === "start") yield* kube.client.patch(ref, { spec: { running: true } }, "merge")
            if (o.op === "stop") yield* kube.client.patch(ref, { spec: { running: false } }, "merge")
            if (o.op === "restart") {
              yield* kube.client.patch(ref, {
                spec: { running: true },
                metadata: { annotations: { [LimaVm.RestartRequestedAnnotation]: "now" } }
              }, "merge")
            }
            if (o.op === "crash") yield* fake.crash(name)
          }
          yield* settle
        }
        // settle: let every boot, backoff and stop play out
        for (let i = 0; i < 6; i++) {
          yield* TestClock.adjust(Duration.seconds(5))
          yield* settle
        }
        for (const n of names) {
          const vm = LimaVm.fromObject(kube.find(LimaVm.LimaVmType, "default", n)!)
          const running = LimaVm.condition(vm, "Running")
          const proc = fake.vms.get(n)!
          if (vm.spec.running) {
            assert.strictEqual(`${running?.status}/${running?.reason}`, "True/Started", `${n}: ${JSON.stringify(ops)}`)
            assert.isDefined(proc.pid, `${n} runs`)
          } else {
            assert.strictEqual(`${running?.status}/${running?.reason}`, "False/Stopped", `${n}: ${JSON.stringify(ops)}`)
            assert.isUndefined(proc.pid, `${n} is stopped`)
          }
          assert.isUndefined(vm.annotations[LimaVm.RestartRequestedAnnotation])
          assert.isFalse(vm.status.restartNeeded)
          assert.isAtMost(vm.status.restartCount, proc.boots, `${n}: restartCount counts boots that reached Running`)
        }
      }).pipe(Effect.scoped),
    { fastCheck: { numRuns: 40 }, timeout: 180_000 }
  )
})
