/**
 * admissionregistration.k8s.io/v1 Mutating/ValidatingWebhookConfigurations,
 * generated read-only from rdd's built-in admission chain so tools see what
 * judges their writes (the Go tool registers its webhooks as these objects).
 *
 * One configuration per name prefix of the plugins' webhook names, as in the Go
 * tool: `limavm-defaulter.lima.rancherdesktop.io` is the webhook of the
 * MutatingWebhookConfiguration `limavm-defaulter`. A plugin that mutates appears
 * in a mutating configuration, one that validates in a validating one.
 *
 * rdd's admission runs in process, so there is no service or URL to call
 * (`clientConfig` is empty). User-registered webhooks are not supported: the
 * configurations cannot be created, changed or deleted (405, see
 * docs/api-compatibility.md), so no request is ever sent to a user's webhook.
 */
import type { KubeObject } from "../../domain/KubeObject.js"
import * as Status from "../../domain/k8s/Status.js"
import type { AdmissionChain, Registration } from "./Admission.js"
import * as ApiError from "./ApiError.js"
import { apiVersionOf, type ResourceInfo } from "./Registry.js"

export const Mutating = "MutatingWebhookConfiguration"
export const Validating = "ValidatingWebhookConfiguration"

/** The objects never change while the daemon runs (plugins register before it is ready). */
export const ResourceVersion = "1"

export const readOnly = (info: ResourceInfo): ApiError.ApiError =>
  ApiError.of(Status.statusFor(
    "MethodNotAllowed",
    `${info.resource}.${info.group} are generated from rdd's built-in admission and are read-only: ` +
      `rdd does not call user-registered admission webhooks`,
    { group: info.group, kind: info.resource }
  ))

const configName = (webhookName: string): string => webhookName.split(".")[0]!

const webhook = (r: Registration, mutating: boolean) => {
  const p = r.plugin
  return {
    name: p.name,
    admissionReviewVersions: ["v1"],
    clientConfig: {},
    rules: [{
      apiGroups: [p.group],
      apiVersions: ["*"],
      operations: [...p.operations],
      resources: [p.resource, ...(p.subresources ?? []).map((s) => `${p.resource}/${s}`)],
      scope: "*"
    }],
    failurePolicy: "Fail",
    matchPolicy: "Equivalent",
    namespaceSelector: {},
    objectSelector: {},
    sideEffects: p.sideEffects ?? "None",
    timeoutSeconds: 10,
    ...(mutating ? { reinvocationPolicy: "Never" } : {})
  }
}

/** The current configurations of one kind, ordered by name. */
export const list = (info: ResourceInfo, admission: AdmissionChain): ReadonlyArray<KubeObject> => {
  const mutating = info.kind === Mutating
  const byName = new Map<string, Array<Registration>>()
  for (const r of admission.registrations()) {
    if ((mutating ? r.plugin.mutate : r.plugin.validate) === undefined) continue
    const name = configName(r.plugin.name)
    byName.set(name, [...(byName.get(name) ?? []), r])
  }
  return [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([name, rs]) => ({
    apiVersion: apiVersionOf(info),
    kind: info.kind,
    metadata: {
      name,
      uid: rs[0]!.uid,
      resourceVersion: ResourceVersion,
      generation: 1,
      creationTimestamp: rs[0]!.since,
      labels: { "app.kubernetes.io/managed-by": "rdd" }
    },
    webhooks: rs.map((r) => webhook(r, mutating))
  }))
}
