/**
 * The App resource (`app.rancherdesktop.io/v1alpha1`, kind App): the one
 * cluster-scoped object per instance, named `app`, whose spec holds the user's
 * settings (`rdd set`) and whose status says whether the app has settled. This
 * module holds its identity, the names and finalizers the App controller uses,
 * the condition vocabulary, and a lenient reader of the stored spec and status.
 */
import { apiVersionOf, type Condition, type KubeObject, type ObjectRef, type ResourceType } from "./KubeObject.js"

export const Group = "app.rancherdesktop.io"
export const Version = "v1alpha1"
export const Kind = "App"
export const Plural = "apps"
export const CrdName = `${Plural}.${Group}`

export const AppType: ResourceType = { group: Group, version: Version, resource: Plural, namespaced: false }
export const ApiVersion = apiVersionOf(AppType)

/** The singleton's name; admission refuses any other. */
export const SingletonName = "app"
export const SingletonRef: ObjectRef = { type: AppType, name: SingletonName }

/** Added by the App controller first; removed when everything the App owns is gone. */
/** The App's VM template: the absolute path of a Lima template file; absent = built-in (AppTemplate). */
export const TemplateAnnotation = "app.rancherdesktop.io/vm-template"
export const CleanupFinalizer = "rdd.rancherdesktop.io/cleanup"
/** Put on the App's LimaVM so that only the App controller deletes it. */
export const OwnedByFinalizer = "rdd.rancherdesktop.io/owned-by-App"

/** The App's LimaVM, its input ConfigMap (same name) and the LimaVM's template copy. */
export const VmName = "rd"
export const TemplateCopyName = `${VmName}-template`

export const DefaultNamespace = "default"

/** Webhook names, as the denial messages show them. */
export const DefaulterName = "app-defaulter.app.rancherdesktop.io"
export const ValidatorName = "app-validator.app.rancherdesktop.io"

export const ConditionType = {
  Created: "Created",
  Running: "Running",
  ContainerEngineReady: "ContainerEngineReady",
  KubernetesReady: "KubernetesReady",
  Settled: "Settled"
} as const

export const Reason = {
  Settled: "Settled",
  WaitingForLimaVM: "WaitingForLimaVM",
  WaitingForEngine: "WaitingForEngine",
  EngineStale: "EngineStale",
  WaitingForKubernetes: "WaitingForKubernetes",
  KubernetesStale: "KubernetesStale",
  ApplyingTemplate: "ApplyingTemplate",
  NotApplicable: "NotApplicable",
  Stopped: "Stopped",
  Started: "Started"
} as const

export const ContainerEngines = ["moby", "containerd"] as const
export type ContainerEngine = (typeof ContainerEngines)[number]

export interface AppSpec {
  readonly running: boolean
  readonly namespace: string
  readonly containerEngine: ContainerEngine
  readonly kubernetesEnabled: boolean
  readonly kubernetesVersion: string
  /** absent: the VM template's own value applies */
  readonly cpus?: number
  readonly memoryInGB?: number
}

const isRecord = (u: unknown): u is Readonly<Record<string, unknown>> =>
  typeof u === "object" && u !== null && !Array.isArray(u)

const field = (o: unknown, key: string): unknown => (isRecord(o) ? o[key] : undefined)

/**
 * The settings of a stored App, with the CRD's defaults for anything missing.
 * The API server has already validated and defaulted the object, so this never
 * fails; it only protects the controller from a hand-edited oddity.
 */
export const specOf = (app: KubeObject): AppSpec => {
  const spec = app["spec"]
  const engine = field(field(spec, "containerEngine"), "name")
  const kubernetes = field(spec, "kubernetes")
  const vm = field(spec, "virtualMachine")
  const ns = field(spec, "namespace")
  const cpus = field(vm, "cpus")
  const memory = field(vm, "memoryInGB")
  return {
    running: field(spec, "running") === true,
    namespace: typeof ns === "string" && ns !== "" ? ns : DefaultNamespace,
    containerEngine: engine === "containerd" ? "containerd" : "moby",
    kubernetesEnabled: field(kubernetes, "enabled") === true,
    kubernetesVersion: typeof field(kubernetes, "version") === "string" ? (field(kubernetes, "version") as string) : "",
    ...(typeof cpus === "number" ? { cpus } : {}),
    ...(typeof memory === "number" ? { memoryInGB: memory } : {})
  }
}

const isCondition = (u: unknown): u is Condition =>
  isRecord(u) && typeof u["type"] === "string" &&
  (u["status"] === "True" || u["status"] === "False" || u["status"] === "Unknown")

/** `status.conditions` of any object (App or LimaVM), ignoring malformed entries. */
export const conditionsOf = (object: KubeObject): ReadonlyArray<Condition> => {
  const list = field(object["status"], "conditions")
  return Array.isArray(list) ? list.filter(isCondition) : []
}

export const findCondition = (conditions: ReadonlyArray<Condition>, type: string): Condition | undefined =>
  conditions.find((c) => c.type === type)

export const generationOf = (object: KubeObject): number => object.metadata.generation ?? 0
