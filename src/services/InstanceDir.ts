/**
 * The files of one instance (SPEC 1.5): where they are, whether the instance is
 * created, and safe reads and writes of them. Paths are computed once, here; no
 * other module derives a path of an instance.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type { Failure } from "../domain/Errors.js"
import type { Instance, Paths, RemovableDir } from "../domain/Instance.js"
import type { RunRecord } from "../domain/RunRecord.js"

export type { RemovableDir }

export interface InstanceDirShape {
  readonly instance: Instance
  readonly paths: Paths
  /** args.json exists */
  readonly isCreated: Effect.Effect<boolean>
  /** saved daemon arguments; None when not created; Failure when unreadable or corrupt */
  readonly readArgs: Effect.Effect<Option.Option<ReadonlyArray<string>>, Failure>
  /**
   * Creates the service dir (0700) and args.json (0600, atomically), unless args.json
   * exists: false then (another command created the instance first), nothing written.
   */
  readonly writeArgs: (args: ReadonlyArray<string>) => Effect.Effect<boolean, Failure>
  /** the pid in rdd.pid; None when missing or garbage */
  readonly readPid: Effect.Effect<Option.Option<number>>
  readonly readRunRecord: Effect.Effect<Option.Option<RunRecord>>
  readonly readFile: (path: string) => Effect.Effect<Option.Option<string>>
  /** atomic write (temp + rename) with the given mode; parent directories are created 0700 */
  readonly writeFileAtomic: (path: string, content: string, mode: number) => Effect.Effect<void, Failure>
  readonly exists: (path: string) => Effect.Effect<boolean>
  readonly removeFile: (path: string) => Effect.Effect<void>
  /**
   * removes one of the instance's own directories, recursively; fails and removes
   * nothing when the path is not named after this instance (Instance.refuseRemoval)
   */
  readonly removeDir: (dir: RemovableDir) => Effect.Effect<void, Failure>
  readonly ensureDir: (path: string, mode: number) => Effect.Effect<void, Failure>
}

export class InstanceDir extends Context.Tag("rdd/InstanceDir")<InstanceDir, InstanceDirShape>() {}
