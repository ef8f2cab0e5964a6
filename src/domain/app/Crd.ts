/**
 * The App CustomResourceDefinition, installed through the API server's generic
 * CRD path like any user CRD. Its `spec` schema is also the source of truth for
 * `rdd set`: the CLI reads the installed CRD to learn which properties exist,
 * their types and their descriptions (the first sentence of each description is
 * what `rdd set --help` shows), so descriptions are written for users.
 */
import type { KubeObject } from "../KubeObject.js"
import * as App from "../App.js"

const condition = {
  type: "object",
  description: "A condition of the App, in the standard metav1.Condition form.",
  required: ["type", "status", "lastTransitionTime", "reason", "message"],
  properties: {
    type: { type: "string", maxLength: 316 },
    status: { type: "string", enum: ["True", "False", "Unknown"] },
    observedGeneration: { type: "integer", format: "int64", minimum: 0 },
    lastTransitionTime: { type: "string", format: "date-time" },
    reason: { type: "string", maxLength: 1024, minLength: 1 },
    message: { type: "string", maxLength: 32768 }
  }
} as const

export const specSchema = {
  type: "object",
  description: "The desired state of the app.",
  required: ["running"],
  properties: {
    running: {
      type: "boolean",
      description: "Whether the app's virtual machine should be running."
    },
    namespace: {
      type: "string",
      default: App.DefaultNamespace,
      description: "Namespace that holds the app's LimaVM and its template ConfigMap. It cannot be changed later.",
      "x-kubernetes-validations": [{ rule: "self == oldSelf", message: "spec.namespace is immutable" }]
    },
    containerEngine: {
      type: "object",
      description: "Container engine settings. Recorded only: rdd does not run a container engine in the VM yet.",
      default: { name: "moby" },
      required: ["name"],
      properties: {
        name: {
          type: "string",
          enum: [...App.ContainerEngines],
          default: "moby",
          description: "Container engine to run in the VM."
        }
      }
    },
    kubernetes: {
      type: "object",
      description: "Kubernetes settings. Recorded only: rdd does not run Kubernetes in the VM yet.",
      required: ["enabled"],
      properties: {
        enabled: {
          type: "boolean",
          description: "Whether Kubernetes (k3s) should run in the VM."
        },
        version: {
          type: "string",
          description:
            "Kubernetes version, or a release channel (stable, latest, v1.34) that admission resolves to a version. Empty picks the stable channel when Kubernetes is enabled."
        }
      }
    },
    virtualMachine: {
      type: "object",
      description: "Virtual machine resources. Changing them restarts a running VM.",
      properties: {
        cpus: {
          type: "integer",
          minimum: 1,
          maximum: 64,
          description: "Number of virtual CPUs of the VM (1 to 64). Unset uses the VM template's value."
        },
        memoryInGB: {
          type: "integer",
          minimum: 1,
          maximum: 256,
          description: "Memory of the VM in GiB (1 to 256). Unset uses the VM template's value."
        }
      }
    }
  }
} as const

export const statusSchema = {
  type: "object",
  description: "The observed state of the app.",
  properties: {
    kubernetesPort: { type: "integer", description: "Host port picked for the Kubernetes API (0 when not in use)." },
    conditions: {
      type: "array",
      description: "Created and Running (mirrored from the LimaVM), ContainerEngineReady, KubernetesReady and Settled.",
      "x-kubernetes-list-type": "map",
      "x-kubernetes-list-map-keys": ["type"],
      items: condition
    }
  }
} as const

export const crd: KubeObject = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: App.CrdName, labels: { "app.kubernetes.io/managed-by": "rdd" } },
  spec: {
    group: App.Group,
    scope: "Cluster",
    names: { plural: App.Plural, singular: "app", kind: App.Kind, listKind: "AppList", categories: ["all"] },
    versions: [{
      name: App.Version,
      served: true,
      storage: true,
      subresources: { status: {} },
      additionalPrinterColumns: [
        { name: "Running", type: "boolean", jsonPath: ".spec.running" },
        { name: "Settled", type: "string", jsonPath: ".status.conditions[?(@.type==\"Settled\")].status" },
        { name: "Reason", type: "string", jsonPath: ".status.conditions[?(@.type==\"Settled\")].reason", priority: 1 },
        { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" }
      ],
      schema: {
        openAPIV3Schema: {
          type: "object",
          description: "App is the singleton (named app) that holds the settings of the Rancher Desktop app.",
          required: ["spec"],
          properties: {
            apiVersion: { type: "string" },
            kind: { type: "string" },
            metadata: { type: "object" },
            spec: specSchema,
            status: statusSchema
          }
        }
      }
    }]
  }
}
