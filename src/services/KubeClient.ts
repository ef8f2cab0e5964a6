/**
 * The control plane's API as rdd's commands and controllers use it. Errors are
 * typed from the server's Status reason: NotFound, Conflict, Rejected (400/403/422)
 * and Unavailable (cannot connect, not authorised yet, server error). The live
 * layer reads the instance's kubeconfig (which changes at every daemon start).
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import type { NotFound, Rejected } from "../domain/Errors.js"
import type { KubeObject, ObjectRef, ResourceType, WatchEvent } from "../domain/KubeObject.js"

export class Conflict extends Data.TaggedError("Conflict")<{ readonly message: string }> {}
export class AlreadyExists extends Data.TaggedError("AlreadyExists")<{ readonly message: string }> {}
/** The API cannot be reached or answered with an unexpected error; retrying may help. */
export class Unavailable extends Data.TaggedError("Unavailable")<{ readonly message: string; readonly cause?: unknown }> {}

export type KubeError = NotFound | Conflict | AlreadyExists | Rejected | Unavailable

export type PatchType = "merge" | "json" | "strategic"

export interface WriteOptions {
  readonly dryRun?: boolean
}

export interface ListOptions {
  readonly namespace?: string
  readonly labelSelector?: string
  readonly fieldSelector?: string
}

export interface ListResult {
  readonly items: ReadonlyArray<KubeObject>
  readonly resourceVersion: string
}

export interface DeleteOptions extends WriteOptions {
  readonly propagationPolicy?: "Background" | "Foreground" | "Orphan"
}

export interface KubeClientShape {
  /** GET /readyz with the kubeconfig's credentials answered 200 */
  readonly readyz: Effect.Effect<boolean>
  readonly get: (ref: ObjectRef) => Effect.Effect<Option.Option<KubeObject>, KubeError>
  readonly list: (type: ResourceType, options?: ListOptions) => Effect.Effect<ListResult, KubeError>
  /**
   * Lists, then watches from the list's resourceVersion; reconnects and resumes after drops,
   * re-listing (as synthetic ADDED/MODIFIED/DELETED events) when the server answers 410 Gone.
   */
  readonly watch: (type: ResourceType, options?: ListOptions) => Stream.Stream<WatchEvent, KubeError>
  readonly create: (type: ResourceType, object: KubeObject, options?: WriteOptions) => Effect.Effect<KubeObject, KubeError>
  readonly update: (ref: ObjectRef, object: KubeObject, options?: WriteOptions) => Effect.Effect<KubeObject, KubeError>
  readonly patch: (ref: ObjectRef, patch: unknown, type: PatchType, options?: WriteOptions) => Effect.Effect<KubeObject, KubeError>
  readonly patchStatus: (ref: ObjectRef, patch: unknown, type: PatchType) => Effect.Effect<KubeObject, KubeError>
  readonly delete: (ref: ObjectRef, options?: DeleteOptions) => Effect.Effect<void, KubeError>
}

export class KubeClient extends Context.Tag("rdd/KubeClient")<KubeClient, KubeClientShape>() {}
