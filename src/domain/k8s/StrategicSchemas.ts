/**
 * Strategic-merge metadata of the built-in kinds rdd serves, transcribed from
 * the `patchStrategy`/`patchMergeKey` tags of k8s.io/api and apimachinery
 * (ObjectMeta: finalizers as a set, ownerReferences by uid; conditions by type;
 * ServiceAccount secrets by name; Pod containers/env/ports/volumes for
 * completeness). Kinds without an entry are custom resources: the API server
 * answers 415 to a strategic patch for them (`supportsStrategicMerge`).
 */
import type { PatchSchema } from "./StrategicMergePatch.js"

const scalarSet: PatchSchema = { type: "list", strategy: "merge" }
const atomic: PatchSchema = { type: "list", strategy: "replace" }
const byKey = (mergeKey: string, items?: PatchSchema): PatchSchema =>
  items === undefined ? { type: "list", strategy: "merge", mergeKey } : { type: "list", strategy: "merge", mergeKey, items }
const struct = (fields: Record<string, PatchSchema>): PatchSchema => ({ type: "map", fields })

export const objectMeta: PatchSchema = struct({
  finalizers: scalarSet,
  ownerReferences: byKey("uid"),
  managedFields: atomic
})

const withMeta = (fields: Record<string, PatchSchema>): PatchSchema => struct({ metadata: objectMeta, ...fields })

const conditions = byKey("type")

const container: PatchSchema = struct({
  ports: byKey("containerPort"),
  env: byKey("name"),
  volumeMounts: byKey("mountPath"),
  volumeDevices: byKey("devicePath"),
  envFrom: atomic,
  command: atomic,
  args: atomic
})

export const podSpec: PatchSchema = struct({
  containers: byKey("name", container),
  initContainers: byKey("name", container),
  ephemeralContainers: byKey("name", container),
  volumes: byKey("name"),
  imagePullSecrets: byKey("name"),
  hostAliases: byKey("ip"),
  tolerations: atomic
})

/** Schemas by `<group>/<Kind>` (core group is ""). */
export const builtIn: Readonly<Record<string, PatchSchema>> = {
  "/ConfigMap": withMeta({}),
  "/Secret": withMeta({}),
  "/Namespace": withMeta({ spec: struct({ finalizers: atomic }), status: struct({ conditions }) }),
  "/ServiceAccount": withMeta({ secrets: byKey("name"), imagePullSecrets: atomic }),
  "/Event": withMeta({}),
  "/Pod": withMeta({ spec: podSpec, status: struct({ conditions }) }),
  "coordination.k8s.io/Lease": withMeta({}),
  "apiextensions.k8s.io/CustomResourceDefinition": withMeta({
    spec: struct({ versions: atomic, names: struct({ shortNames: atomic, categories: atomic }) }),
    status: struct({ conditions, storedVersions: atomic })
  })
}

export const schemaFor = (group: string, kind: string): PatchSchema | undefined => builtIn[`${group}/${kind}`]

/** Strategic merge is only for compiled-in kinds; custom resources get 415. */
export const supportsStrategicMerge = (group: string, kind: string): boolean => schemaFor(group, kind) !== undefined
