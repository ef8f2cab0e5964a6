/**
 * In-process admission: the equivalent of mutating and validating webhooks,
 * registered per resource type by controllers (SPEC 3.4). Mutating plugins run
 * first, in registration order, then validating ones; a denial becomes a 403
 * `admission webhook "<name>" denied the request: <reason>` (or the code the
 * plugin chose) and nothing is stored. Plugins run outside the store's write
 * lock, so they may read and write other objects through the KubeClient.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import { randomUUID } from "node:crypto"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as Status from "../../domain/k8s/Status.js"
import * as Eager from "../Eager.js"
import * as ApiError from "./ApiError.js"

export type Operation = "CREATE" | "UPDATE" | "DELETE"

export interface AdmissionRequest {
  readonly operation: Operation
  readonly group: string
  readonly resource: string
  readonly subresource: string
  readonly namespace: string
  readonly name: string
  /** the object as it would be stored (absent for DELETE) */
  readonly object: KubeObject | undefined
  /** the stored object (absent for CREATE) */
  readonly oldObject: KubeObject | undefined
  readonly dryRun: boolean
  readonly user: string
}

/** A plugin refuses the request; `code` defaults to 403 Forbidden (422 Invalid, 400 BadRequest also allowed). */
export class Denied extends Data.TaggedError("Denied")<{
  readonly reason: string
  readonly code?: 400 | 403 | 422
}> {}

export interface AdmissionPlugin {
  /** the webhook name in denial messages, e.g. `limavm.lima.rancherdesktop.io` */
  readonly name: string
  readonly group: string
  readonly resource: string
  readonly operations: ReadonlyArray<Operation>
  /** include status-subresource writes (default: main resource only) */
  readonly subresources?: ReadonlyArray<string>
  /** returns the object to store instead */
  readonly mutate?: (req: AdmissionRequest) => Effect.Effect<KubeObject, Denied>
  readonly validate?: (req: AdmissionRequest) => Effect.Effect<void, Denied>
  /**
   * What the plugin does besides judging the request, as a webhook declares it
   * (default None): `NoneOnDryRun` when it writes other objects, except on dry runs.
   */
  readonly sideEffects?: "None" | "NoneOnDryRun"
}

/** A registered plugin, with what its generated webhook configuration shows (WebhookConfigurations.ts). */
export interface Registration {
  readonly plugin: AdmissionPlugin
  readonly uid: string
  /** RFC 3339, second precision */
  readonly since: string
}

export interface AdmissionChain {
  readonly register: (plugin: AdmissionPlugin) => () => void
  /** the plugins in registration order */
  readonly registrations: () => ReadonlyArray<Registration>
  readonly admit: (req: AdmissionRequest) => Effect.Effect<KubeObject | undefined, ApiError.ApiError>
}

const toApiError = (plugin: AdmissionPlugin) => (d: Denied): ApiError.ApiError => {
  const message = `admission webhook ${JSON.stringify(plugin.name)} denied the request: ${d.reason}`
  const reason = d.code === 422 ? "Invalid" : d.code === 400 ? "BadRequest" : "Forbidden"
  return ApiError.of(Status.statusFor(reason, message))
}

export const make = (): AdmissionChain => {
  const plugins: Array<AdmissionPlugin> = []
  const registered = new Map<AdmissionPlugin, Registration>()
  const applies = (p: AdmissionPlugin, req: AdmissionRequest) =>
    p.group === req.group && p.resource === req.resource && p.operations.includes(req.operation) &&
    (req.subresource === "" || (p.subresources ?? []).includes(req.subresource))
  return {
    register: (plugin) => {
      plugins.push(plugin)
      registered.set(plugin, { plugin, uid: randomUUID(), since: new Date().toISOString().replace(/\.\d{3}Z$/, "Z") })
      return () => {
        const i = plugins.indexOf(plugin)
        if (i >= 0) plugins.splice(i, 1)
        registered.delete(plugin)
      }
    },
    registrations: () => plugins.flatMap((p) => registered.get(p) ?? []),
    admit: (req) =>
      Eager.gen(function*() {
        let object = req.object
        const selected = plugins.filter((p) => applies(p, req))
        for (const p of selected) {
          if (p.mutate !== undefined && object !== undefined) {
            object = yield* Eager.mapError(p.mutate({ ...req, object }), toApiError(p))
          }
        }
        for (const p of selected) {
          if (p.validate !== undefined) yield* Eager.mapError(p.validate({ ...req, object }), toApiError(p))
        }
        return object
      })
  }
}
