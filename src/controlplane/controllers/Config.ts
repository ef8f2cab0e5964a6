/**
 * The `config` ConfigMap (SPEC 3.6): `rdd-system/config` mirrors the daemon's
 * effective settings of this run in `config.json`, so tools can read them
 * through the API instead of parsing files.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Core } from "../../domain/KubeObject.js"
import { KubeClient } from "../../services/KubeClient.js"
import { SystemNamespace } from "./Controller.js"

export interface Settings {
  readonly instance: string
  readonly controllers: string
  readonly enabledControllers: ReadonlyArray<string>
  readonly desiredPort: number
  readonly port: number
  readonly startId: string
  readonly pid: number
}

export const publish = (settings: Settings) =>
  Effect.gen(function*() {
    const client = yield* KubeClient
    const ref = { type: Core.configmaps, namespace: SystemNamespace, name: "config" }
    const data = { "config.json": JSON.stringify(settings, null, 2) }
    const existing = yield* client.get(ref)
    if (Option.isNone(existing)) {
      yield* client.create(Core.configmaps, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: "config", namespace: SystemNamespace, labels: { "app.kubernetes.io/name": "rancher-desktop-daemon" } },
        data
      })
    } else {
      yield* client.update(ref, { ...existing.value, data })
    }
  })
