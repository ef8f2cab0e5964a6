/**
 * Writes a LimaVM's status: computes the new conditions (meta.SetStatusCondition
 * rules), skips the write when nothing changed, patches the status subresource
 * and emits one Event per condition change (reference 1.8 item 43). The patch
 * response becomes the pass's current object, so later steps of the same pass
 * see their own writes.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Condition, KubeObject } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import * as Conditions from "../../../domain/limavm/Conditions.js"
import type { KubeClientShape, KubeError } from "../../../services/KubeClient.js"
import { emitConditionEvent } from "./Events.js"

export interface StatusChange {
  readonly conditions?: ReadonlyArray<Conditions.Desired>
  readonly templateConfigMap?: string
  readonly observedTemplateResourceVersion?: string
  readonly restartNeeded?: boolean
  /** added to restartCount */
  readonly restarts?: number
  /** the SSH port of the running VM; 0 removes it (stopped) */
  readonly sshLocalPort?: number
  /** progress only (a download's bytes): no Event and no info line per change */
  readonly quiet?: boolean
}

export const write = (
  kube: KubeClientShape,
  vm: LimaVm.LimaVm,
  change: StatusChange
): Effect.Effect<LimaVm.LimaVm, KubeError> =>
  Effect.gen(function*() {
    const now = Conditions.timestamp(yield* Clock.currentTimeMillis)
    let conditions: ReadonlyArray<Condition> = vm.status.conditions
    const changed: Array<Conditions.Desired> = []
    for (const desired of change.conditions ?? []) {
      const r = Conditions.set(conditions, desired, now)
      if (r.changed) changed.push(desired)
      conditions = r.conditions
    }
    const patch: Record<string, unknown> = {}
    if (changed.length > 0) patch["conditions"] = conditions
    if (change.templateConfigMap !== undefined && change.templateConfigMap !== vm.status.templateConfigMap) {
      patch["templateConfigMap"] = change.templateConfigMap
    }
    if (
      change.observedTemplateResourceVersion !== undefined &&
      change.observedTemplateResourceVersion !== vm.status.observedTemplateResourceVersion
    ) patch["observedTemplateResourceVersion"] = change.observedTemplateResourceVersion
    if (change.restartNeeded !== undefined && change.restartNeeded !== vm.status.restartNeeded) {
      // absent when false (scripts read an empty jsonpath), as the Go tool's omitempty
      patch["restartNeeded"] = change.restartNeeded ? true : null
    }
    if (change.sshLocalPort !== undefined && change.sshLocalPort !== (vm.status.sshLocalPort ?? 0)) {
      patch["sshLocalPort"] = change.sshLocalPort === 0 ? null : change.sshLocalPort
    }
    if (change.restarts !== undefined && change.restarts > 0) patch["restartCount"] = vm.status.restartCount + change.restarts
    if (Object.keys(patch).length === 0 && vm.status.observedGeneration === vm.generation) return vm
    patch["observedGeneration"] = vm.generation
    const updated: KubeObject = yield* kube.patchStatus(LimaVm.refOf(vm.namespace, vm.name), { status: patch }, "merge")
    const next = LimaVm.fromObject(updated)
    for (const c of change.quiet === true ? [] : changed) {
      yield* Effect.logInfo(`LimaVM ${vm.namespace}/${vm.name}: ${c.type}=${c.status} (${c.reason}) ${c.message}`)
      yield* emitConditionEvent(kube, next, c)
    }
    return next
  })
