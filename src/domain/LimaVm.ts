/**
 * The LimaVM resource (SPEC 4.1, reference/go-rdd-limavm.md section 1): its
 * identity, the names derived from it (template copy, name claim, finalizers,
 * annotations, labels), a typed read-only view over the loosely typed object the
 * API returns, and the condition types and reasons that the controller writes
 * and the CLI waits on. The App controller and `rdd limavm` both read these, so
 * every literal lives here once.
 */
import type { Condition, KubeObject, ObjectRef, ResourceType } from "./KubeObject.js"

export const Group = "lima.rancherdesktop.io"
export const Version = "v1alpha1"
export const ApiVersion = `${Group}/${Version}`
export const Kind = "LimaVM"
export const ListKind = "LimaVMList"
export const Plural = "limavms"
export const Singular = "limavm"

export const LimaVmType: ResourceType = { group: Group, version: Version, resource: Plural, namespaced: true }

/** On every LimaVM; removed by the controller once the VM and its owned objects are gone. */
export const CleanupFinalizer = "rdd.rancherdesktop.io/cleanup"
/** On the template copy; stripped by the controller during the LimaVM's deletion. */
export const OwnedByFinalizer = "rdd.rancherdesktop.io/owned-by-LimaVM"
/** The general owned-by prefix (an App owns its LimaVM with `owned-by-App`). */
export const OwnedByPrefix = "rdd.rancherdesktop.io/owned-by-"

export const TemplateCopyLabel = "lima.rancherdesktop.io/template-configmap"
export const RestartRequestedAnnotation = "lima.rancherdesktop.io/restartRequested"

/** Claims that make VM names unique across namespaces (see limavm/NameClaim). */
export const ClaimNamespace = "rdd-system"
export const ClaimLabel = "lima.rancherdesktop.io/name-claim"
export const claimName = (vm: string): string => `limavm-name-${vm}`

export const templateCopyName = (vm: string): string => `${vm}-template`

export const ConditionTypes = { Created: "Created", Running: "Running" } as const

export const Reasons = {
  Pending: "Pending",
  Created: "Created",
  CreateFailed: "CreateFailed",
  Reconciling: "Reconciling",
  Starting: "Starting",
  Started: "Started",
  Stopped: "Stopped",
  StartFailed: "StartFailed",
  StopFailed: "StopFailed"
} as const
export type Reason = (typeof Reasons)[keyof typeof Reasons]

export const Messages = {
  pending: "Reconciliation in progress",
  created: "Lima instance created successfully",
  exists: "Lima instance exists",
  reconciling: "Verifying instance state after controller restart",
  starting: "Lima instance is starting",
  running: "Lima instance is running",
  stopped: "Lima instance is stopped",
  stoppedOk: "Lima instance stopped successfully",
  stoppedForRestart: "Stopped for restart",
  stillRunning: "instance still running after stop attempt"
} as const

export interface TemplateRef {
  readonly name: string
  readonly namespace?: string
}

export interface LimaVmSpec {
  readonly templateRef: TemplateRef
  readonly running: boolean
}

export interface LimaVmStatus {
  readonly conditions: ReadonlyArray<Condition>
  readonly templateConfigMap?: string
  readonly observedTemplateResourceVersion?: string
  readonly restartNeeded: boolean
  readonly restartCount: number
  readonly observedGeneration?: number
  /** 127.0.0.1:<port> reaches the guest's SSH server while the VM runs */
  readonly sshLocalPort?: number
}

/** A LimaVM as the controller and the CLI read it; `object` is the raw API object. */
export interface LimaVm {
  readonly object: KubeObject
  readonly name: string
  readonly namespace: string
  readonly uid: string
  readonly generation: number
  readonly deleting: boolean
  readonly spec: LimaVmSpec
  readonly status: LimaVmStatus
  readonly annotations: Readonly<Record<string, string>>
}

const rec = (u: unknown): Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u) ? (u as Record<string, unknown>) : {}

const isCondition = (u: unknown): u is Condition => {
  const c = rec(u)
  return typeof c["type"] === "string" && (c["status"] === "True" || c["status"] === "False" || c["status"] === "Unknown")
}

/** Reads the fields rdd uses; the server's schema validation already guaranteed their types. */
export const fromObject = (object: KubeObject): LimaVm => {
  const spec = rec(object["spec"])
  const status = rec(object["status"])
  const ref = rec(spec["templateRef"])
  const conditions = Array.isArray(status["conditions"]) ? status["conditions"].filter(isCondition) : []
  const str = (u: unknown): string | undefined => (typeof u === "string" && u !== "" ? u : undefined)
  const templateConfigMap = str(status["templateConfigMap"])
  const observedRv = str(status["observedTemplateResourceVersion"])
  const observedGeneration = typeof status["observedGeneration"] === "number" ? status["observedGeneration"] : undefined
  const refNamespace = str(ref["namespace"])
  const sshLocalPort = typeof status["sshLocalPort"] === "number" && status["sshLocalPort"] > 0 ? status["sshLocalPort"] : undefined
  return {
    object,
    name: object.metadata.name ?? "",
    namespace: object.metadata.namespace ?? "default",
    uid: object.metadata.uid ?? "",
    generation: object.metadata.generation ?? 0,
    deleting: object.metadata.deletionTimestamp !== undefined,
    annotations: object.metadata.annotations ?? {},
    spec: {
      templateRef: { name: str(ref["name"]) ?? "", ...(refNamespace === undefined ? {} : { namespace: refNamespace }) },
      running: spec["running"] === true
    },
    status: {
      conditions,
      restartNeeded: status["restartNeeded"] === true,
      restartCount: typeof status["restartCount"] === "number" ? status["restartCount"] : 0,
      ...(templateConfigMap === undefined ? {} : { templateConfigMap }),
      ...(observedRv === undefined ? {} : { observedTemplateResourceVersion: observedRv }),
      ...(observedGeneration === undefined ? {} : { observedGeneration }),
      ...(sshLocalPort === undefined ? {} : { sshLocalPort })
    }
  }
}

export const refOf = (namespace: string, name: string): ObjectRef => ({ type: LimaVmType, namespace, name })

export const condition = (vm: Pick<LimaVm, "status">, type: string): Condition | undefined =>
  vm.status.conditions.find((c) => c.type === type)

/** The source template's namespace: empty means the LimaVM's own. */
export const templateNamespace = (vm: Pick<LimaVm, "namespace" | "spec">): string => vm.spec.templateRef.namespace ?? vm.namespace

/** A new LimaVM object as `rdd limavm create` sends it. */
export const make = (namespace: string, name: string, templateRef: TemplateRef, running: boolean): KubeObject => ({
  apiVersion: ApiVersion,
  kind: Kind,
  metadata: { name, namespace },
  spec: { templateRef, running }
})
