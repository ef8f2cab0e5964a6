/**
 * The App's `Settled` condition as a pure function of what the App controller
 * observed (the Go tool's rule chain, first match wins). `rdd set` waits for
 * `Settled=True` stamped with the generation it wrote, so every rule that can
 * say True must only do so from information that is current for that spec.
 */
import type { Condition } from "../KubeObject.js"
import { ConditionType, Reason } from "../App.js"

export interface SettledInput {
  /** the App's metadata.generation */
  readonly generation: number
  /** spec.running */
  readonly shouldRun: boolean
  /** the template ConfigMap's resourceVersion equals the LimaVM's observedTemplateResourceVersion */
  readonly templateUpToDate: boolean
  /**
   * the LimaVM has observed its latest spec (status.observedGeneration >=
   * metadata.generation), so its Running condition is not left over from before
   */
  readonly vmCurrent: boolean
  /** the App's conditions: Running mirrored from the LimaVM, ContainerEngineReady, KubernetesReady */
  readonly conditions: ReadonlyArray<Condition>
  /** a container-engine controller runs in this control plane */
  readonly engineControllerEnabled: boolean
  /** a Kubernetes controller runs in this control plane */
  readonly kubernetesControllerEnabled: boolean
  /** spec.kubernetes.enabled */
  readonly kubernetesEnabled: boolean
}

export interface SettledVerdict {
  readonly status: "True" | "False"
  readonly reason: string
  readonly message: string
}

const notYet = (reason: string, message: string): SettledVerdict => ({ status: "False", reason, message })

export const settledMessage = "App has reached the desired state"
const settled: SettledVerdict = { status: "True", reason: Reason.Settled, message: settledMessage }

const isCurrent = (c: Condition, generation: number): boolean => (c.observedGeneration ?? 0) >= generation

/** Rules 8 and 9: a part that must be ready, judged from its condition. */
const partReady = (
  c: Condition | undefined,
  generation: number,
  waiting: { readonly reason: string; readonly message: string },
  stale: { readonly reason: string; readonly message: string }
): SettledVerdict | undefined => {
  if (c === undefined) return notYet(waiting.reason, waiting.message)
  if (!isCurrent(c, generation)) return notYet(stale.reason, stale.message)
  // the message names the condition, so a timed-out `rdd set` says what it waited for
  if (c.status !== "True") return notYet(c.reason ?? stale.reason, `${c.type}=${c.status}: ${c.message ?? stale.message}`)
  return undefined
}

export const decide = (input: SettledInput): SettledVerdict => {
  const find = (type: string) => input.conditions.find((c) => c.type === type)
  // 0 (not in the Go tool's chain): a VM that cannot be created is reported as such, so that
  // waiters fail at once (SPEC 1.2) instead of seeing a template that is never applied
  const created = find(ConditionType.Created)
  if (created?.status === "False" && (created.reason ?? "").endsWith("Failed")) {
    return notYet(created.reason ?? "CreateFailed", created.message ?? "the LimaVM could not be created")
  }
  // 1
  if (!input.templateUpToDate) return notYet(Reason.ApplyingTemplate, "Applying the configuration change to the VM")
  // 2
  const running = find(ConditionType.Running)
  if (running === undefined) return notYet(Reason.WaitingForLimaVM, "Waiting for the LimaVM to report whether it runs")
  if (!input.vmCurrent) return notYet(Reason.WaitingForLimaVM, "Waiting for the LimaVM to observe the change")
  const forwarded = (target: string): SettledVerdict => {
    const reason = running.reason ?? Reason.WaitingForLimaVM
    return notYet(
      reason,
      reason.endsWith("Failed") && running.message !== undefined ? running.message : `LimaVM has not yet reached ${target}`
    )
  }
  // 3, 4
  if (input.shouldRun && running.status !== "True") return forwarded(Reason.Started)
  if (!input.shouldRun && running.reason !== Reason.Stopped) return forwarded(Reason.Stopped)
  // 5
  const kubernetesMatters = input.kubernetesControllerEnabled && input.kubernetesEnabled
  if (!input.engineControllerEnabled && !input.kubernetesControllerEnabled) return settled
  const engine = find(ConditionType.ContainerEngineReady)
  if (!input.shouldRun) {
    // 6, 7
    if (!input.engineControllerEnabled) return settled
    return engine !== undefined && isCurrent(engine, input.generation) &&
        (engine.reason === Reason.Stopped || engine.reason === Reason.NotApplicable)
      ? settled
      : notYet(Reason.EngineStale, "Waiting for the container engine to report that it stopped")
  }
  // 8
  if (input.engineControllerEnabled) {
    const verdict = partReady(
      engine,
      input.generation,
      { reason: Reason.WaitingForEngine, message: "Waiting for the container engine to report its state" },
      { reason: Reason.EngineStale, message: "Waiting for the container engine to observe the change" }
    )
    if (verdict !== undefined) return verdict
  }
  // 9
  if (kubernetesMatters) {
    const verdict = partReady(
      find(ConditionType.KubernetesReady),
      input.generation,
      { reason: Reason.WaitingForKubernetes, message: "Waiting for Kubernetes to report its state" },
      { reason: Reason.KubernetesStale, message: "Waiting for Kubernetes to observe the change" }
    )
    if (verdict !== undefined) return verdict
  }
  // 10
  return settled
}
