/**
 * The worker the App's condition controllers share (`engine` for
 * ContainerEngineReady, `kubernetes` for KubernetesReady): one pass at a time,
 * woken by any change of the App, its LimaVM `rd` or the VM's template copy, and
 * again after the delay a pass asks for while what it mirrors (an engine, k3s)
 * is expected to answer: those send no events of their own. A failed pass (the
 * API refused a write) is retried after a fixed delay; a failed watch is
 * re-opened, since a pass re-reads everything it needs.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import * as App from "../../../domain/App.js"
import { Core, type ResourceType } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import type { KubeClientShape } from "../../../services/KubeClient.js"

const WatchRetry = Duration.seconds(2)
const RetryAfterFailure = Duration.seconds(5)

/**
 * A pass reads the App and writes its condition; it returns when to look again
 * without an event (undefined: only on an event), or a message when it failed.
 * `memory` is the pass's own, kept from one pass to the next.
 */
export type Pass<M> = (memory: Ref.Ref<Option.Option<M>>) => Effect.Effect<Duration.Duration | undefined, string>

/** Starts the worker and its three watches in the current scope; `name` labels its debug lines. */
export const start = <M>(name: string, kube: KubeClientShape, pass: Pass<M>) =>
  Effect.gen(function*() {
    const wake = yield* Queue.sliding<void>(1)
    const memory = yield* Ref.make(Option.none<M>())
    const worker: Effect.Effect<never> = Effect.gen(function*() {
      const next = yield* pass(memory).pipe(
        Effect.catchAll((message) => Effect.as(Effect.logDebug(`${name}: ${message} (retrying)`), RetryAfterFailure))
      )
      yield* next === undefined ? Queue.take(wake) : Effect.raceFirst(Queue.take(wake), Effect.sleep(next))
    }).pipe(Effect.forever)
    const follow = (type: ResourceType, options: Parameters<KubeClientShape["watch"]>[1]) =>
      kube.watch(type, options).pipe(
        Stream.runForEach((event) => (event.type === "BOOKMARK" ? Effect.void : Queue.offer(wake, undefined))),
        Effect.catchAll((e) => Effect.logDebug(`${name} controller: watch of ${type.resource} failed: ${e.message}; retrying`)),
        Effect.zipRight(Effect.sleep(WatchRetry)),
        Effect.forever,
        Effect.forkScoped
      )
    yield* follow(App.AppType, { fieldSelector: `metadata.name=${App.SingletonName}` })
    yield* follow(LimaVm.LimaVmType, { fieldSelector: `metadata.name=${App.VmName}` })
    yield* follow(Core.configmaps, { fieldSelector: `metadata.name=${App.TemplateCopyName}` })
    yield* Effect.forkScoped(worker)
  })
