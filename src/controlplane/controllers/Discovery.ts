/**
 * The discovery ConfigMap `rdd-system/rdd-controller-manager` (SPEC 3.6, 2.8):
 * recreated at every start with this run's `embedded` entry (enabled controllers,
 * start time, start id), annotated ready only once every controller runs, and
 * its entry removed at clean shutdown. The CLI decides readiness from it: the
 * start id must equal the run record's and the annotation must be "true".
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { KubeObject } from "../../domain/KubeObject.js"
import { Core } from "../../domain/KubeObject.js"
import { KubeClient, type KubeClientShape } from "../../services/KubeClient.js"
import { DiscoveryName, ReadyAnnotation, SystemNamespace } from "./Controller.js"

const ref = { type: Core.configmaps, namespace: SystemNamespace, name: DiscoveryName }

export const Labels = {
  "app.kubernetes.io/name": "rancher-desktop-daemon",
  "app.kubernetes.io/component": "controller-manager"
}

export interface Entry {
  readonly enabledControllers: ReadonlyArray<string>
  readonly startTime: string
  readonly startId: string
}

const ensure = (name: string, labels: Record<string, string>) =>
  Effect.gen(function*() {
    const client = yield* KubeClient
    const existing = yield* client.get({ type: Core.namespaces, name })
    if (Option.isSome(existing)) return
    yield* client.create(Core.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name, labels } }).pipe(
      Effect.catchTag("AlreadyExists", () => Effect.void)
    )
  })

/**
 * Ensures the system namespace (labelled as the Go tool did) and `default` exist:
 * kubectl writes to `default` when no namespace is given, as on any Kubernetes.
 */
export const ensureNamespace = Effect.zipRight(
  ensure(SystemNamespace, { "app.kubernetes.io/name": "rancher-desktop-daemon" }),
  ensure("default", {})
)

/** Deletes and re-creates the ConfigMap with only this run's entry (no ready annotation). */
export const recreate = (entry: Entry) =>
  Effect.gen(function*() {
    const client = yield* KubeClient
    yield* client.delete(ref).pipe(Effect.catchTag("NotFound", () => Effect.void))
    const object: KubeObject = {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: DiscoveryName, namespace: SystemNamespace, labels: Labels },
      data: { embedded: JSON.stringify(entry) }
    }
    yield* client.create(Core.configmaps, object)
  })

export const markReady = Effect.flatMap(KubeClient, (client) =>
  client.patch(ref, { metadata: { annotations: { [ReadyAnnotation]: "true" } } }, "merge"))

/** Removes this run's entry and the ready annotation (best effort, at shutdown). */
export const unregister = Effect.flatMap(KubeClient, (client) =>
  client.patch(ref, { metadata: { annotations: { [ReadyAnnotation]: null } }, data: { embedded: null } }, "merge")).pipe(
    Effect.asVoid
  )

/**
 * The controllers this run enabled, as its discovery entry says (what the App's
 * Settled chain asks, reference 4.24). Undefined when the entry cannot be read:
 * callers then assume a controller is enabled, as the Go tool did.
 */
export const enabledControllers = (client: KubeClientShape): Effect.Effect<ReadonlyArray<string> | undefined> =>
  client.get(ref).pipe(
    Effect.map((cm) => {
      const data = Option.getOrUndefined(cm)?.["data"]
      const embedded = typeof data === "object" && data !== null ? (data as Record<string, unknown>)["embedded"] : undefined
      if (typeof embedded !== "string") return undefined
      try {
        const entry: unknown = JSON.parse(embedded)
        const list = typeof entry === "object" && entry !== null ? (entry as Record<string, unknown>)["enabledControllers"] : undefined
        return Array.isArray(list) ? list.filter((n): n is string => typeof n === "string") : undefined
      } catch {
        return undefined
      }
    }),
    Effect.orElseSucceed(() => undefined)
  )
