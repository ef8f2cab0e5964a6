/**
 * PATCH bodies by content type: JSON merge patch, JSON patch, strategic merge
 * patch (built-in kinds only; custom resources get 415 like the real server) and
 * server-side apply (approximated as a merge of the applied configuration). The
 * algorithms live in src/domain/k8s; this module only dispatches.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as JsonPatch from "../../domain/k8s/JsonPatch.js"
import { isObject, type Json } from "../../domain/k8s/Json.js"
import * as MergePatch from "../../domain/k8s/MergePatch.js"
import * as Status from "../../domain/k8s/Status.js"
import * as StrategicMergePatch from "../../domain/k8s/StrategicMergePatch.js"
import * as StrategicSchemas from "../../domain/k8s/StrategicSchemas.js"
import * as ApiError from "./ApiError.js"
import type { ResourceInfo } from "./Registry.js"

export type PatchKind = "merge" | "json" | "strategic" | "apply"

export const StrategicMediaType = "application/strategic-merge-patch+json"

export const MediaTypes: ReadonlyArray<string> = [
  "application/json-patch+json",
  "application/merge-patch+json",
  StrategicMediaType,
  "application/apply-patch+yaml"
]

export const kindOf = (contentType: string): PatchKind | undefined => {
  const base = contentType.split(";")[0]!.trim().toLowerCase()
  switch (base) {
    case "application/merge-patch+json": return "merge"
    case "application/json-patch+json": return "json"
    case "application/strategic-merge-patch+json": return "strategic"
    case "application/apply-patch+yaml":
    case "application/apply-patch+json": return "apply"
  }
  return undefined
}

/** The patched object (still to be decoded and validated like a PUT body). */
export const apply = (kind: PatchKind, current: KubeObject, patch: unknown, info: ResourceInfo): Effect.Effect<unknown, ApiError.ApiError> => {
  const doc = current as unknown as Json
  switch (kind) {
    case "merge":
    case "apply":
      // (apply requests normally go through ServerSideApply.ts; this is the plain merge)
      if (!isObject(patch)) return Effect.fail(ApiError.badRequest("the patch must be a JSON object"))
      return Effect.succeed(MergePatch.apply(doc, patch as Json))
    case "json":
      return Either.match(JsonPatch.decode(patch as Json), {
        onLeft: (e) => Effect.fail(ApiError.badRequest(e)),
        onRight: (ops) =>
          Either.match(JsonPatch.apply(doc, ops), {
            onLeft: (e) => Effect.fail(ApiError.of(Status.statusFor("Invalid", `the server rejected our request due to an error in our request: ${e}`))),
            onRight: Effect.succeed
          })
      })
    case "strategic": {
      const schema = StrategicSchemas.schemaFor(info.group, info.kind)
      if (schema === undefined) return Effect.fail(ApiError.unsupportedMediaType(Status.customResourcePatchTypes))
      if (!isObject(patch)) return Effect.fail(ApiError.badRequest("the patch must be a JSON object"))
      return Either.match(StrategicMergePatch.apply(doc, patch as Json, schema), {
        onLeft: (e) => Effect.fail(ApiError.badRequest(e)),
        onRight: Effect.succeed
      })
    }
  }
}
