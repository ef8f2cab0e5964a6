/**
 * Notary (rdd.rancherdesktop.io/v1alpha1): the second sample controller. Every
 * change of `spec.value` it observes is appended to the history ConfigMap
 * `spec.configMapName` (keys `change_NNN`, `latest_change`, `change_count`, as
 * the Go sample writes them), and `status` records the last value and the count.
 * Also a sample admission plugin: a value starting with "invalid" is refused.
 * The ConfigMap names the Notary as its controller owner, so it goes with it.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Core, type KubeObject, type ResourceType } from "../../../domain/KubeObject.js"
import { KubeClient } from "../../../services/KubeClient.js"
import { type AdmissionPlugin, Denied } from "../../apiserver/Admission.js"
import type { Controller } from "../Controller.js"
import { Group, Version } from "./ConfigMapReplicaSet.js"
import * as Workqueue from "./Workqueue.js"

export const Type: ResourceType = { group: Group, version: Version, resource: "notaries", namespaced: true }

export const crd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${Type.resource}.${Group}`, labels: { "app.kubernetes.io/managed-by": "rdd" } },
  spec: {
    group: Group,
    scope: "Namespaced",
    names: { plural: Type.resource, singular: "notary", kind: "Notary", listKind: "NotaryList" },
    versions: [{
      name: Version,
      served: true,
      storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: [
        { name: "Value", type: "string", jsonPath: ".spec.value" },
        { name: "Changes", type: "integer", jsonPath: ".status.changeCount" }
      ],
      schema: {
        openAPIV3Schema: {
          type: "object",
          properties: {
            spec: {
              type: "object",
              required: ["configMapName"],
              properties: {
                value: { type: "string", description: "The value whose changes are recorded." },
                configMapName: { type: "string", description: "The ConfigMap that holds the history." }
              }
            },
            status: {
              type: "object",
              properties: {
                lastRecordedValue: { type: "string" },
                configMapStatus: { type: "string" },
                changeCount: { type: "integer" }
              }
            }
          }
        }
      }
    }]
  }
}

/** The Go sample's validating webhook, as an in-process admission plugin. */
export const validator: AdmissionPlugin = {
  name: "notary-validator.rdd.rancherdesktop.io",
  group: Group,
  resource: Type.resource,
  operations: ["CREATE", "UPDATE"],
  validate: (req) => {
    const value = (req.object?.["spec"] as { readonly value?: unknown } | undefined)?.value
    return typeof value === "string" && value.toLowerCase().startsWith("invalid")
      ? Effect.fail(new Denied({ reason: `spec.value cannot start with 'invalid' (case-insensitive): ${JSON.stringify(value)}`, code: 403 }))
      : Effect.void
  }
}

interface Spec {
  readonly value?: string
  readonly configMapName: string
}
interface Status {
  readonly lastRecordedValue?: string
  readonly changeCount?: number
}

const reconcile = (key: Workqueue.Key) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const ref = { type: Type, namespace: key.namespace, name: key.name }
    const found = yield* kube.get(ref)
    if (Option.isNone(found) || found.value.metadata.deletionTimestamp !== undefined) return
    const notary = found.value
    const spec = notary["spec"] as Spec
    const status = (notary["status"] ?? {}) as Status
    const value = spec.value ?? ""
    if (value === (status.lastRecordedValue ?? "") && status.changeCount !== undefined) return
    const count = status.changeCount ?? 0
    const entry = `timestamp=${new Date().toISOString().replace(/\.\d{3}Z$/, "Z")},value=${value}`
    const cmRef = { type: Core.configmaps, namespace: key.namespace, name: spec.configMapName }
    const data = { [`change_${String(count).padStart(3, "0")}`]: entry, latest_change: entry, change_count: String(count + 1) }
    const existing = yield* kube.get(cmRef)
    if (Option.isNone(existing)) {
      yield* kube.create(Core.configmaps, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: {
          name: spec.configMapName,
          namespace: key.namespace,
          labels: { "app.kubernetes.io/managed-by": "notary-controller", "app.kubernetes.io/instance": key.name },
          ownerReferences: [Workqueue.controllerRef(notary)]
        },
        data
      })
    } else {
      yield* kube.patch(cmRef, { data }, "merge")
    }
    // through the status subresource, with the resourceVersion read: a concurrent change makes this a conflict and a retry
    yield* kube.patchStatus(ref, {
      metadata: { resourceVersion: notary.metadata.resourceVersion },
      status: { lastRecordedValue: value, changeCount: count + 1, configMapStatus: "Updated" }
    }, "merge")
  })

export const notary: Controller = {
  name: "notary",
  crds: [crd],
  admission: [validator],
  run: Effect.gen(function*() {
    const kube = yield* KubeClient
    yield* Workqueue.run("notary", kube, [{ type: Type, keyOf: Workqueue.keyOfObject }], (key) =>
      Effect.provideService(reconcile(key), KubeClient, kube))
    yield* Effect.logInfo("notary controller running")
  })
}
