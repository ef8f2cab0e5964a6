/**
 * Events for condition changes (reference 1.8 item 43): a core/v1 Event per
 * change, reason `ConditionChanged`, Warning for the *Failed reasons. The message
 * is data, never a format string (reference defect 173). Best effort: an event
 * that cannot be written is logged, never fails the reconcile.
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Random from "effect/Random"
import { Core } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import * as Conditions from "../../../domain/limavm/Conditions.js"
import type { KubeClientShape } from "../../../services/KubeClient.js"

export const Component = "limavm-controller"

export const emitConditionEvent = (
  kube: KubeClientShape,
  vm: LimaVm.LimaVm,
  c: Conditions.Desired
): Effect.Effect<void> =>
  Effect.gen(function*() {
    const now = Conditions.timestamp(yield* Clock.currentTimeMillis)
    const suffix = (yield* Random.nextIntBetween(0, 0x7fffffff)).toString(16)
    yield* kube.create(Core.events, {
      apiVersion: "v1",
      kind: "Event",
      metadata: { name: `${vm.name}.${suffix}`, namespace: vm.namespace },
      involvedObject: {
        apiVersion: LimaVm.ApiVersion,
        kind: LimaVm.Kind,
        name: vm.name,
        namespace: vm.namespace,
        uid: vm.uid,
        resourceVersion: vm.object.metadata.resourceVersion ?? ""
      },
      reason: "ConditionChanged",
      message: Conditions.truncateMessage(`${c.type}=${c.status} (${c.reason}): ${c.message}`),
      type: c.reason.endsWith("Failed") ? "Warning" : "Normal",
      source: { component: Component },
      reportingComponent: Component,
      firstTimestamp: now,
      lastTimestamp: now,
      count: 1
    })
  }).pipe(
    Effect.catchAll((e) => Effect.logDebug(`cannot record an event for LimaVM ${vm.namespace}/${vm.name}: ${e.message}`))
  )
