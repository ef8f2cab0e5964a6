/**
 * The one look at readiness (SPEC 2.8), without waiting: the daemon's pid alive and
 * ours, `GET /readyz` 200 with the kubeconfig's credentials, and the discovery
 * ConfigMap ready for THIS run's start id. Readiness.ts waits for it; `svc status -o
 * json` reports it; `rdd ctl` asks it first and runs kubectl at once when it holds.
 * Kept apart from Readiness.ts so that this look loads neither Stream (the wait's
 * watch) nor the lifecycle code: on a ready control plane `rdd ctl` needs no more.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Core, type KubeObject, type ObjectRef } from "../domain/KubeObject.js"
import type { RunRecord } from "../domain/RunRecord.js"
import { findDaemon } from "./Daemon.js"
import type { InstanceDir } from "./InstanceDir.js"
import { KubeClient } from "./KubeClient.js"
import type { ProcessManager } from "./ProcessManager.js"

export const DiscoveryNamespace = "rdd-system"
export const DiscoveryName = "rdd-controller-manager"
export const ReadyAnnotation = "rdd.rancherdesktop.io/ready"
export const DiscoveryRef: ObjectRef = { type: Core.configmaps, namespace: DiscoveryNamespace, name: DiscoveryName }

/** How far the discovery ConfigMap says this run has got. */
export type Stage = "other-run" | "registered" | "ready"

export const stageOf = (configMap: KubeObject, startId: string): Stage => {
  const data = configMap["data"]
  const embedded = typeof data === "object" && data !== null ? (data as Record<string, unknown>)["embedded"] : undefined
  if (typeof embedded !== "string") return "other-run"
  try {
    const parsed: unknown = JSON.parse(embedded)
    if (typeof parsed !== "object" || parsed === null || (parsed as { startId?: unknown }).startId !== startId) return "other-run"
  } catch {
    return "other-run"
  }
  return configMap.metadata.annotations?.[ReadyAnnotation] === "true" ? "ready" : "registered"
}

/** A live daemon of the instance with the run record it wrote. */
export interface Awaited {
  readonly pid: number
  readonly record: RunRecord
}

/** The instance's live daemon with its run record, if there is one. */
export const daemonWithRecord: Effect.Effect<Option.Option<Awaited>, never, InstanceDir | ProcessManager> = Effect.map(
  findDaemon,
  Option.flatMap((d) => Option.map(d.record, (record) => ({ pid: d.pid, record })))
)

/** One look, no waiting: is this run of the daemon ready right now? (An API error counts as no.) */
export const isReadyNow = (record: RunRecord): Effect.Effect<boolean, never, KubeClient> =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const ok = yield* kube.readyz
    yield* Effect.logDebug(`GET /readyz: ${ok ? "ready" : "not ready"}`)
    if (!ok) return false
    const stage = Option.map(yield* kube.get(DiscoveryRef), (c) => stageOf(c, record.startId))
    yield* Effect.logDebug(`${DiscoveryNamespace}/${DiscoveryName}: ${Option.getOrElse(stage, () => "absent")}`)
    return Option.contains(stage, "ready")
  }).pipe(Effect.orElseSucceed(() => false))

/** The look's own bound: a daemon too slow to answer is not ready now (the caller may wait for it). */
const LookBound = Duration.seconds(2)

/** The instance's daemon, when one runs and is ready right now; none otherwise, without waiting or saying anything. */
export const readyDaemon: Effect.Effect<Option.Option<Awaited>, never, InstanceDir | ProcessManager | KubeClient> = Effect.flatMap(
  daemonWithRecord,
  Option.match({
    onNone: () => Effect.succeedNone,
    onSome: (a) =>
      isReadyNow(a.record).pipe(
        Effect.timeoutTo({ duration: LookBound, onSuccess: (ok) => (ok ? Option.some(a) : Option.none()), onTimeout: () => Option.none() })
      )
  })
)
