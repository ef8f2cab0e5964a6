/**
 * The App's status as the App controller writes it, computed purely from what
 * one reconcile pass observed: Created and Running mirrored from the LimaVM
 * (with the LimaVM's transition times), ContainerEngineReady as the engine
 * controller wrote it (NotApplicable, saying why, when that controller does not
 * run), KubernetesReady likewise for the kubernetes controller, and Settled from the rule chain. Every condition is stamped with the
 * App generation the pass read (observedGeneration), which is what `rdd set`
 * waits for.
 */
import type { Condition, KubeObject } from "../KubeObject.js"
import * as LimaVm from "../LimaVm.js"
import * as App from "../App.js"
import * as Settled from "./Settled.js"

export interface Observed {
  readonly app: KubeObject
  /** the app's LimaVM, when it exists */
  readonly vm: LimaVm.LimaVm | undefined
  /** the LimaVM's template copy, when it exists */
  readonly copy: KubeObject | undefined
  /** the App controller could not do its part (render, create); forced into Settled with this reason */
  readonly blocked?: { readonly reason: string; readonly message: string }
  readonly kubernetesPort: number
  /** RFC 3339 (seconds) */
  readonly now: string
  /** which optional controllers run (discovery data); their conditions are theirs to write */
  readonly parts?: Parts
}

export interface DesiredStatus {
  readonly conditions: ReadonlyArray<Condition>
  readonly kubernetesPort: number
}

/** The optional parts Settled waits for when their controllers run (the engine and kubernetes controllers). */
export interface Parts {
  readonly engine: boolean
  readonly kubernetes: boolean
}
export const NoParts: Parts = { engine: false, kubernetes: false }

export const engineMessage = (spec: App.AppSpec): string =>
  `the engine controller does not run in this control plane; containerEngine.name=${spec.containerEngine} is recorded only`

export const kubernetesMessage = (spec: App.AppSpec): string =>
  spec.kubernetesEnabled
    ? `the kubernetes controller does not run in this control plane; kubernetes.enabled=true (version ${spec.kubernetesVersion}) is recorded only`
    : "Kubernetes is not enabled"

/** The template the LimaVM runs is the newest copy, with no restart for it pending. */
export const templateUpToDate = (vm: LimaVm.LimaVm | undefined, copy: KubeObject | undefined): boolean =>
  vm !== undefined && copy !== undefined && copy.metadata.resourceVersion !== undefined &&
  copy.metadata.resourceVersion === vm.status.observedTemplateResourceVersion && !vm.status.restartNeeded

/**
 * The LimaVM's Running condition can be trusted for its current spec: it has
 * observed that spec (observedGeneration), or its Running condition already is
 * what that spec asks for. The second half matters because a LimaVM controller
 * need not write anything (so need not stamp observedGeneration) for a change
 * that asks for the state the VM is already in, e.g. running=false on a VM that
 * stopped for a restart.
 */
export const vmCurrent = (vm: LimaVm.LimaVm | undefined): boolean => {
  if (vm === undefined || vm.status.observedGeneration === undefined || vm.status.observedGeneration >= vm.generation) return true
  const running = LimaVm.condition(vm, LimaVm.ConditionTypes.Running)
  return vm.spec.running
    ? running?.status === "True" && running.reason === LimaVm.Reasons.Started
    : running?.status === "False" && running.reason === LimaVm.Reasons.Stopped
}

const keepTransition = (previous: ReadonlyArray<Condition>, next: Omit<Condition, "lastTransitionTime">, now: string): Condition => {
  const before = previous.find((c) => c.type === next.type)
  return {
    ...next,
    lastTransitionTime: before !== undefined && before.status === next.status && before.lastTransitionTime !== undefined
      ? before.lastTransitionTime
      : now
  }
}

export const desired = (o: Observed): DesiredStatus => {
  const generation = App.generationOf(o.app)
  const spec = App.specOf(o.app)
  const previous = App.conditionsOf(o.app)
  const mirrored: Array<Condition> = []
  for (const type of [App.ConditionType.Created, App.ConditionType.Running]) {
    const c = o.vm === undefined ? undefined : LimaVm.condition(o.vm, type)
    if (c !== undefined) {
      mirrored.push({
        type,
        status: c.status,
        reason: c.reason ?? "Unknown",
        message: c.message ?? "",
        lastTransitionTime: c.lastTransitionTime ?? o.now,
        observedGeneration: generation
      })
    }
  }
  const parts = o.parts ?? NoParts
  // the engine controller writes ContainerEngineReady itself: kept as stored (absent until it has)
  const engine = parts.engine
    ? App.findCondition(previous, App.ConditionType.ContainerEngineReady)
    : keepTransition(previous, {
      type: App.ConditionType.ContainerEngineReady,
      status: "True",
      reason: App.Reason.NotApplicable,
      message: engineMessage(spec),
      observedGeneration: generation
    }, o.now)
  const engines = engine === undefined ? [] : [engine]
  // likewise KubernetesReady, written by the kubernetes controller when it runs
  const kubernetes = parts.kubernetes
    ? App.findCondition(previous, App.ConditionType.KubernetesReady)
    : keepTransition(previous, {
      type: App.ConditionType.KubernetesReady,
      status: "True",
      reason: App.Reason.NotApplicable,
      message: kubernetesMessage(spec),
      observedGeneration: generation
    }, o.now)
  const kubernetesList = kubernetes === undefined ? [] : [kubernetes]
  const verdict: Settled.SettledVerdict = o.blocked !== undefined
    ? { status: "False", ...o.blocked }
    : Settled.decide({
      generation,
      shouldRun: spec.running,
      templateUpToDate: templateUpToDate(o.vm, o.copy),
      vmCurrent: vmCurrent(o.vm),
      conditions: [...mirrored, ...engines, ...kubernetesList],
      engineControllerEnabled: parts.engine,
      kubernetesControllerEnabled: parts.kubernetes,
      kubernetesEnabled: spec.kubernetesEnabled
    })
  const settled = keepTransition(previous, { type: App.ConditionType.Settled, ...verdict, observedGeneration: generation }, o.now)
  return { conditions: [...mirrored, ...engines, ...kubernetesList, settled], kubernetesPort: o.kubernetesPort }
}

const conditionKey = (c: Condition) =>
  JSON.stringify([c.type, c.status, c.reason ?? "", c.message ?? "", c.lastTransitionTime ?? "", c.observedGeneration ?? 0])

/** Whether writing `next` would change the stored status (so a pass with nothing new writes nothing). */
export const differs = (app: KubeObject, next: DesiredStatus): boolean => {
  const status = app["status"]
  const port = typeof status === "object" && status !== null ? (status as Record<string, unknown>)["kubernetesPort"] : undefined
  if ((typeof port === "number" ? port : 0) !== next.kubernetesPort) return true
  const a = App.conditionsOf(app).map(conditionKey).sort()
  const b = next.conditions.map(conditionKey).sort()
  return a.length !== b.length || a.some((k, i) => k !== b[i])
}

export const kubernetesPortOf = (app: KubeObject): number => {
  const status = app["status"]
  const port = typeof status === "object" && status !== null ? (status as Record<string, unknown>)["kubernetesPort"] : undefined
  return typeof port === "number" ? port : 0
}
