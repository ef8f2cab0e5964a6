/**
 * `rdd svc paths` on the full path: run by svc/paths.ts and, for its plain
 * forms, directly by cli.ts (domain/DirectCommand.ts). What it prints is
 * domain/PathsOutput.ts's, shared with the bin's plain path (src/plain/paths.ts).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type { PathKey } from "../../domain/Instance.js"
import * as PathsOutput from "../../domain/PathsOutput.js"
import { InstanceDir } from "../../services/InstanceDir.js"

export const show = (o: { readonly key: Option.Option<PathKey>; readonly output: PathsOutput.Format }) =>
  Effect.flatMap(InstanceDir, (dir) => Console.log(PathsOutput.show(dir.paths, Option.getOrUndefined(o.key), o.output)))
