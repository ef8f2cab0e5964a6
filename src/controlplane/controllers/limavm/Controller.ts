/**
 * The LimaVM controller's running part: watches LimaVMs in every namespace (and
 * the template copies, to notice template edits) and feeds the per-VM workers;
 * on shutdown it stops every running VM in parallel within the drain budget and
 * records them as Stopped while the API still serves (SPEC 2.7, 3.6). VMs keep
 * running across a daemon crash; the next run adopts them (Reconciler).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { Core } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import * as StatusWriter from "./StatusWriter.js"
import type * as Reconciler from "./Reconciler.js"
import * as Workers from "./Workers.js"
import { isUp } from "../../../services/VmDriver.js"

export const ShutdownMessage = "stopped because the control plane shut down"

/** Runs until interrupted; the returned `drain` stops the VMs (call it before the scope closes). */
export const start = (
  deps: Reconciler.Deps,
  policy: Workers.BackoffPolicy = Workers.DefaultBackoff
) =>
  Effect.gen(function*() {
    const workers = yield* Workers.make(deps, policy)
    const retry = Schedule.spaced(Duration.seconds(1))

    yield* deps.kube.watch(LimaVm.LimaVmType).pipe(
      Stream.runForEach((event) => {
        if (event.type === "BOOKMARK") return Effect.void
        if (event.type === "DELETED") {
          return workers.remove(event.object.metadata.namespace ?? "default", event.object.metadata.name ?? "")
        }
        return workers.upsert(event.object)
      }),
      Effect.tapError((e) => Effect.logWarning(`LimaVM watch failed: ${e.message}; retrying`)),
      Effect.retry(retry),
      // a watch that ends is started again (it re-lists; workers ignore what they have seen)
      Effect.repeat(retry),
      Effect.forkScoped
    )
    yield* deps.kube.watch(Core.configmaps, { labelSelector: `${LimaVm.TemplateCopyLabel}=true` }).pipe(
      Stream.runForEach((event) => {
        // ADDED is our own copy being made (or the initial list): only edits matter here
        if (event.type !== "MODIFIED") return Effect.void
        const owner = (event.object.metadata.ownerReferences ?? []).find((r) => r.kind === LimaVm.Kind)
        return owner === undefined ? Effect.void : workers.poke(event.object.metadata.namespace ?? "default", owner.name)
      }),
      Effect.retry(retry),
      Effect.repeat(retry),
      Effect.forkScoped
    )

    const drain: Effect.Effect<void> = Effect.gen(function*() {
      yield* workers.stopAll
      const vms = yield* deps.kube.list(LimaVm.LimaVmType).pipe(
        Effect.map((l) => l.items.map(LimaVm.fromObject)),
        Effect.orElseSucceed((): ReadonlyArray<LimaVm.LimaVm> => [])
      )
      const known = new Set(vms.map((v) => v.name))
      const orphans = (yield* deps.driver.list).filter((n) => !known.has(n))
      const stopOne = (name: string) =>
        Effect.gen(function*() {
          const state = yield* deps.driver.status(name)
          if (!isUp(state)) return false
          yield* Effect.logInfo(`stopping VM ${JSON.stringify(name)} (control plane shutdown)`)
          yield* deps.driver.stop(name, deps.stopGrace === undefined ? {} : { grace: deps.stopGrace })
          return true
        }).pipe(Effect.catchAll((e) => Effect.as(Effect.logWarning(`cannot stop VM ${JSON.stringify(name)}: ${e.message}`), false)))
      yield* Effect.forEach(vms, (vm) =>
        Effect.gen(function*() {
          const stopped = yield* stopOne(vm.name)
          if (!stopped && LimaVm.condition(vm, LimaVm.ConditionTypes.Running)?.status !== "True") return
          yield* StatusWriter.write(deps.kube, vm, {
            conditions: [{ type: LimaVm.ConditionTypes.Running, status: "False", reason: LimaVm.Reasons.Stopped, message: ShutdownMessage }]
          }).pipe(Effect.ignore)
        }), { concurrency: "unbounded", discard: true })
      yield* Effect.forEach(orphans, stopOne, { concurrency: "unbounded", discard: true })
    })

    return { drain, phase: workers.phase } as const
  })

/** The host's architecture in Lima's words. */
export const hostArchOf = (nodeArch: string): "x86_64" | "aarch64" => (nodeArch === "arm64" ? "aarch64" : "x86_64")

