/**
 * One pass of the engine controller: the instance's Docker context follows the
 * App (written while it exists, removed once it is deleted or being deleted);
 * the engine is probed while the App's VM runs the current template; and
 * `ContainerEngineReady` (EngineReady.decide) is written, stamped with the App
 * generation it was computed for, only when it changed. The pass returns how
 * soon it wants to look again (the engine gives no events of its own).
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { parse as parseYaml } from "yaml"
import * as App from "../../../domain/App.js"
import * as AppStatus from "../../../domain/app/AppStatus.js"
import * as Engine from "../../../domain/app/Engine.js"
import * as EngineReady from "../../../domain/app/EngineReady.js"
import { Core, type Condition, type KubeObject } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import { timestamp } from "../../../domain/limavm/Conditions.js"
import type { KubeClientShape } from "../../../services/KubeClient.js"
import type { EngineProbe } from "./Probe.js"

export interface DockerContextStore {
  /** writes the instance's context (only when its file differs) */
  readonly write: Effect.Effect<void, string>
  readonly remove: Effect.Effect<void, string>
}

export interface Deps {
  readonly kube: KubeClientShape
  readonly probe: EngineProbe
  readonly context: DockerContextStore
  readonly dockerSocket: string
  /**
   * removes the host's docker socket when it is a socket: a moby boot's forward leaves the file
   * behind once the VM runs containerd (no forward serves it, and the VM's stop does not know it)
   */
  readonly removeStaleSocket?: Effect.Effect<void, string>
  readonly limaHome: string
  readonly failAfter: Duration.Duration
}

/** What one pass remembers for the next: since when the engine has been expected, for which VM run. */
export interface Memory {
  /** App generation and VM start that `expectedSince` belongs to */
  readonly run: string
  readonly expectedSince: number
}

/** While the engine is expected but silent it is asked again soon; once ready, now and then. */
export const PollStarting = Duration.seconds(1)
export const PollReady = Duration.seconds(10)

const templateOf = (cm: KubeObject | undefined): unknown => {
  const data = cm?.["data"]
  const text = typeof data === "object" && data !== null ? (data as Record<string, unknown>)["template"] : undefined
  if (typeof text !== "string") return undefined
  try {
    return parseYaml(text)
  } catch {
    return undefined
  }
}

/** A console guest (rdd.readyLine) has no SSH and runs no provisioning, hence no engine. */
export const isConsoleGuest = (cm: KubeObject | undefined): boolean => {
  const t = templateOf(cm)
  const rdd = typeof t === "object" && t !== null ? (t as Record<string, unknown>)["rdd"] : undefined
  const line = typeof rdd === "object" && rdd !== null ? (rdd as Record<string, unknown>)["readyLine"] : undefined
  return typeof line === "string" && line !== ""
}

/**
 * The VM's template already has this engine's provision script: until the App controller
 * has rewritten it after an engine switch, the old VM (whose dockerd runs on containerd)
 * could answer a probe meant for the new engine.
 */
const runsEngine = (cm: KubeObject | undefined, engine: App.ContainerEngine): boolean => {
  const data = cm?.["data"]
  const text = typeof data === "object" && data !== null ? (data as Record<string, unknown>)["template"] : undefined
  return typeof text === "string" && text.includes(Engine.provisionHeader(engine))
}

const conditionChanged = (before: Condition | undefined, next: Condition): boolean =>
  before === undefined || before.status !== next.status || before.reason !== next.reason || before.message !== next.message ||
  (before.observedGeneration ?? 0) !== (next.observedGeneration ?? 0)

/** Returns the delay before the next pass, or undefined to wait for a change of the App or its VM. */
export const pass = (deps: Deps, memory: Ref.Ref<Option.Option<Memory>>): Effect.Effect<Duration.Duration | undefined, string> =>
  Effect.gen(function*() {
    const { kube } = deps
    const found = yield* kube.get(App.SingletonRef).pipe(Effect.mapError((e) => `cannot read the App: ${e.message}`))
    if (Option.isNone(found) || found.value.metadata.deletionTimestamp !== undefined) {
      yield* Ref.set(memory, Option.none())
      yield* deps.context.remove
      return undefined
    }
    const app = found.value
    yield* deps.context.write
    const spec = App.specOf(app)
    const generation = App.generationOf(app)
    if (spec.containerEngine !== "moby" && deps.removeStaleSocket !== undefined) yield* deps.removeStaleSocket
    const vmObject = yield* kube.get(LimaVm.refOf(spec.namespace, App.VmName)).pipe(Effect.orElseSucceed(() => Option.none()))
    const vm = Option.getOrUndefined(Option.map(vmObject, LimaVm.fromObject))
    const copy = Option.getOrUndefined(
      yield* kube.get({ type: Core.configmaps, namespace: spec.namespace, name: App.TemplateCopyName }).pipe(
        Effect.orElseSucceed(() => Option.none())
      )
    )
    const running = vm === undefined ? undefined : LimaVm.condition(vm, LimaVm.ConditionTypes.Running)
    const vmState: EngineReady.VmState = isConsoleGuest(copy)
      ? { _tag: "ConsoleGuest" }
      : spec.running && running?.status === "True" && AppStatus.templateUpToDate(vm, copy) && AppStatus.vmCurrent(vm) &&
          runsEngine(copy, spec.containerEngine)
      ? { _tag: "Running" }
      : { _tag: "NotRunning" }
    const now = yield* Clock.currentTimeMillis
    let probe: EngineReady.Probe | undefined
    let expectedSince: number | undefined
    if (vmState._tag === "Running") {
      // a new generation or a new start of the VM restarts the clock of the Failed bound
      const run = `${generation}/${running?.lastTransitionTime ?? ""}/${vm?.status.observedTemplateResourceVersion ?? ""}`
      const before = Option.getOrUndefined(yield* Ref.get(memory))
      expectedSince = before?.run === run ? before.expectedSince : now
      yield* Ref.set(memory, Option.some({ run, expectedSince }))
      probe = yield* deps.probe({ engine: spec.containerEngine, dockerSocket: deps.dockerSocket, limaHome: deps.limaHome, vmName: App.VmName })
    } else {
      yield* Ref.set(memory, Option.none())
    }
    const verdict = EngineReady.decide({
      engine: spec.containerEngine,
      shouldRun: spec.running,
      vm: vmState,
      probe,
      expectedSince,
      now,
      failAfter: deps.failAfter
    })
    const conditions = App.conditionsOf(app)
    const before = App.findCondition(conditions, App.ConditionType.ContainerEngineReady)
    const next: Condition = {
      type: App.ConditionType.ContainerEngineReady,
      ...verdict,
      lastTransitionTime: before !== undefined && before.status === verdict.status && before.lastTransitionTime !== undefined
        ? before.lastTransitionTime
        : timestamp(now),
      observedGeneration: generation
    }
    if (conditionChanged(before, next)) {
      // the whole list, as read: a write racing the App controller's is put right by the next pass of either
      yield* kube.patchStatus(App.SingletonRef, {
        status: { conditions: [...conditions.filter((c) => c.type !== App.ConditionType.ContainerEngineReady), next] }
      }, "merge").pipe(Effect.mapError((e) => `cannot write ContainerEngineReady: ${e.message}`))
      if (before?.status !== next.status || before.reason !== next.reason) {
        yield* Effect.logInfo(`App generation ${generation}: ContainerEngineReady=${next.status} (${next.reason}) ${next.message ?? ""}`)
      }
    }
    if (vmState._tag !== "Running") return undefined
    return verdict.reason === EngineReady.Reason.Ready ? PollReady : verdict.reason === EngineReady.Reason.Failed ? PollReady : PollStarting
  })
