/**
 * ConfigMapReplicaSet (`cmrs`, rdd.rancherdesktop.io/v1alpha1): the sample
 * controller to copy when writing one of your own (docs/controllers.md). It keeps
 * exactly `spec.replicas` ConfigMaps `<name>-<i>` holding `spec.data` plus
 * `index=<i>`: it creates the missing ones (so a deleted one comes back), deletes
 * those at or above `replicas`, and reports `status.readyReplicas`. Each
 * ConfigMap names the cmrs as its controller owner, so the garbage collector
 * removes them with it (and namespace deletion removes both); no finalizer needed.
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Core, type KubeObject, type ResourceType } from "../../../domain/KubeObject.js"
import { KubeClient } from "../../../services/KubeClient.js"
import type { Controller } from "../Controller.js"
import * as Workqueue from "./Workqueue.js"

export const Group = "rdd.rancherdesktop.io"
export const Version = "v1alpha1"
export const Type: ResourceType = { group: Group, version: Version, resource: "configmapreplicasets", namespaced: true }

/** The four labels the Go tool's controller puts on (and selects) its ConfigMaps. */
const labelsFor = (name: string): Record<string, string> => ({
  "app.kubernetes.io/name": "configmap",
  "app.kubernetes.io/instance": name,
  "app.kubernetes.io/component": "controller",
  "app.kubernetes.io/managed-by": "rdd-configmapreplicaset"
})
const selectorFor = (name: string) => Object.entries(labelsFor(name)).map(([k, v]) => `${k}=${v}`).join(",")

export const crd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${Type.resource}.${Group}`, labels: { "app.kubernetes.io/managed-by": "rdd" } },
  spec: {
    group: Group,
    scope: "Namespaced",
    names: { plural: Type.resource, singular: "configmapreplicaset", kind: "ConfigMapReplicaSet", listKind: "ConfigMapReplicaSetList", shortNames: ["cmrs"] },
    versions: [{
      name: Version,
      served: true,
      storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: [
        { name: "Replicas", type: "integer", jsonPath: ".spec.replicas" },
        { name: "Ready", type: "integer", jsonPath: ".status.readyReplicas" }
      ],
      schema: {
        openAPIV3Schema: {
          type: "object",
          properties: {
            spec: {
              type: "object",
              properties: {
                replicas: { type: "integer", format: "int32", minimum: 0, default: 1, description: "How many ConfigMaps to keep." },
                data: { type: "object", additionalProperties: { type: "string" }, description: "The data of every ConfigMap (plus index=<i>)." }
              }
            },
            status: {
              type: "object",
              properties: { readyReplicas: { type: "integer", format: "int32" } }
            }
          }
        }
      }
    }]
  }
}

const indexOf = (owner: string, cm: KubeObject): number | undefined => {
  const m = new RegExp(`^${owner.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-(\\d+)$`).exec(cm.metadata.name ?? "")
  return m === null ? undefined : Number(m[1])
}

const reconcile = (key: Workqueue.Key) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const ref = { type: Type, namespace: key.namespace, name: key.name }
    const found = yield* kube.get(ref)
    // gone or going: the garbage collector removes the ConfigMaps it owned
    if (Option.isNone(found) || found.value.metadata.deletionTimestamp !== undefined) return
    const cmrs = found.value
    const spec = (cmrs["spec"] ?? {}) as { readonly replicas?: number; readonly data?: Record<string, string> }
    const replicas = spec.replicas ?? 1
    const owned = (yield* kube.list(Core.configmaps, { namespace: key.namespace, labelSelector: selectorFor(key.name) })).items
    const have = new Set(owned.map((cm) => indexOf(key.name, cm)))
    for (let i = 0; i < replicas; i++) {
      if (have.has(i)) continue
      yield* kube.create(Core.configmaps, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: `${key.name}-${i}`, namespace: key.namespace, labels: labelsFor(key.name), ownerReferences: [Workqueue.controllerRef(cmrs)] },
        data: { ...spec.data, index: String(i) }
      }).pipe(Effect.catchTag("AlreadyExists", () => Effect.void))
    }
    for (const cm of owned) {
      const i = indexOf(key.name, cm)
      if (i !== undefined && i >= replicas) {
        yield* kube.delete({ type: Core.configmaps, namespace: key.namespace, name: cm.metadata.name! }).pipe(Effect.catchTag("NotFound", () => Effect.void))
      }
    }
    // like the Go sample: the desired count, once every missing one has been created
    const status = (cmrs["status"] ?? {}) as { readonly readyReplicas?: number }
    if (status.readyReplicas !== replicas) yield* kube.patchStatus(ref, { status: { readyReplicas: replicas } }, "merge")
  })

export const configMapReplicaSet: Controller = {
  name: "configmapreplicaset",
  crds: [crd],
  run: Effect.gen(function*() {
    const kube = yield* KubeClient
    yield* Workqueue.run("configmapreplicaset", kube, [
      { type: Type, keyOf: Workqueue.keyOfObject },
      // a change to one of its ConfigMaps (a deletion above all) wakes the owner
      {
        type: Core.configmaps,
        labelSelector: "app.kubernetes.io/managed-by=rdd-configmapreplicaset",
        keyOf: (cm) => {
          const owner = cm.metadata.labels?.["app.kubernetes.io/instance"]
          return owner === undefined ? undefined : { namespace: cm.metadata.namespace ?? "", name: owner }
        }
      }
    ], (key) => Effect.provideService(reconcile(key), KubeClient, kube))
    yield* Effect.logInfo("configmapreplicaset controller running")
  })
}
