/**
 * The LimaVM CustomResourceDefinition (SPEC 4.1, reference 1.1-1.3), installed
 * through the server's generic CRD path like any other CRD. `templateRef` is
 * immutable through a CEL rule; the status subresource means spec writes bump
 * `metadata.generation` and status writes do not.
 */
import type { KubeObject } from "../KubeObject.js"
import { Group, Kind, ListKind, Plural, Singular, Version } from "../LimaVm.js"
import { templateRefImmutable } from "./Admission.js"

const condition = {
  type: "object",
  required: ["type", "status", "lastTransitionTime"],
  properties: {
    type: { type: "string", maxLength: 316 },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    reason: { type: "string", maxLength: 1024 },
    message: { type: "string", maxLength: 32768 },
    lastTransitionTime: { type: "string", format: "date-time" },
    observedGeneration: { type: "integer", format: "int64", minimum: 0 }
  }
}

export const crd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `${Plural}.${Group}` },
  spec: {
    group: Group,
    scope: "Namespaced",
    names: { kind: Kind, listKind: ListKind, plural: Plural, singular: Singular, categories: ["all"] },
    versions: [{
      name: Version,
      served: true,
      storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: [{ name: "Running", type: "boolean", jsonPath: ".spec.running" }],
      schema: {
        openAPIV3Schema: {
          type: "object",
          description: "LimaVM is a virtual machine managed by rdd's limavm controller.",
          properties: {
            apiVersion: { type: "string" },
            kind: { type: "string" },
            metadata: { type: "object" },
            spec: {
              type: "object",
              required: ["templateRef"],
              properties: {
                templateRef: {
                  type: "object",
                  description: "The ConfigMap (data key `template`) holding the Lima template; read once, at creation.",
                  required: ["name"],
                  properties: {
                    name: { type: "string", minLength: 1, description: "Name of the template ConfigMap." },
                    namespace: { type: "string", description: "Namespace of the template ConfigMap; empty means the LimaVM's namespace." }
                  },
                  "x-kubernetes-validations": [{ rule: "self == oldSelf", message: templateRefImmutable }]
                },
                running: { type: "boolean", default: false, description: "Desired power state." }
              }
            },
            status: {
              type: "object",
              properties: {
                conditions: {
                  type: "array",
                  items: condition,
                  "x-kubernetes-list-type": "map",
                  "x-kubernetes-list-map-keys": ["type"]
                },
                templateConfigMap: { type: "string" },
                observedTemplateResourceVersion: { type: "string" },
                restartNeeded: { type: "boolean" },
                restartCount: { type: "integer", format: "int32", minimum: 0 },
                sshLocalPort: {
                  type: "integer",
                  format: "int32",
                  minimum: 0,
                  maximum: 65535,
                  description: "The host port (on 127.0.0.1) forwarded to the guest's SSH server while the VM runs; absent when stopped."
                },
                observedGeneration: { type: "integer", format: "int64", minimum: 0 }
              }
            }
          }
        }
      }
    }]
  }
}
