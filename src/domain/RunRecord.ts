/**
 * The daemon's run record (`rdd.run.json`): written atomically by the daemon once
 * it holds the instance lock, read by the CLI to learn which run it is talking to.
 * `startId` is also written into the discovery ConfigMap, so readiness is decided
 * by identity, not by comparing second-truncated timestamps (SPEC 2.8).
 */
import { Schema } from "effect"

export class RunRecord extends Schema.Class<RunRecord>("RunRecord")({
  pid: Schema.Int,
  startId: Schema.String,
  /** effective --controllers spec of this run */
  controllers: Schema.String,
  /** the port the daemon asked for (it may have fallen back to another) */
  desiredPort: Schema.Int,
  /** the port it actually listens on, once listening */
  port: Schema.optional(Schema.Int),
  startedAt: Schema.String
}) {}

export const decode = Schema.decodeUnknownEither(Schema.parseJson(RunRecord))
export const encode = (r: RunRecord): string => JSON.stringify(Schema.encodeSync(RunRecord)(r), null, 2)
