/**
 * App admission as in-process plugins (the Go tool's app-defaulter and
 * app-validator webhooks) around the pure rules of domain/app/Admission: the
 * defaulter resolves Kubernetes release channels, the validator refuses
 * unsupported versions, any name but `app`, and a changed `spec.namespace`.
 * Only main-resource writes are checked: status writes carry no settings.
 */
import * as Effect from "effect/Effect"
import * as App from "../../../domain/App.js"
import * as Rules from "../../../domain/app/Admission.js"
import { type AdmissionPlugin, Denied } from "../../apiserver/Admission.js"

export const defaulter: AdmissionPlugin = {
  name: App.DefaulterName,
  group: App.Group,
  resource: App.Plural,
  operations: ["CREATE", "UPDATE"],
  // the chain calls mutate only for writes that carry an object
  mutate: (req) => Effect.succeed(Rules.defaults(req.object!))
}

export const validator: AdmissionPlugin = {
  name: App.ValidatorName,
  group: App.Group,
  resource: App.Plural,
  operations: ["CREATE", "UPDATE"],
  validate: (req) => {
    if (req.object === undefined) return Effect.void
    // An App on its way out may still be written (finalizers, status); only its settings are judged.
    if (req.operation === "UPDATE" && req.object.metadata.deletionTimestamp !== undefined) return Effect.void
    const reason = Rules.validate(req.object, req.operation === "UPDATE" ? req.oldObject : undefined)
    return reason === undefined ? Effect.void : Effect.fail(new Denied({ reason, code: 403 }))
  }
}

export const plugins: ReadonlyArray<AdmissionPlugin> = [defaulter, validator]
