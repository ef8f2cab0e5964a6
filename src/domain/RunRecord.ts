/**
 * The daemon's run record (`rdd.run.json`): written atomically by the daemon once
 * it holds the instance lock, read by the CLI to learn which run it is talking to.
 * `startId` is also written into the discovery ConfigMap, so readiness is decided
 * by identity, not by comparing second-truncated timestamps (SPEC 2.8).
 *
 * Decoded by hand rather than with Schema on purpose: `svc status` reads it, and
 * keeping Schema (and the fast-check it drags in) out of the CLI's start-up path
 * is worth a few lines (SPEC 6: status ≤ 3× `node -e 0`).
 */
import * as Either from "effect/Either"

export interface RunRecord {
  readonly pid: number
  readonly startId: string
  /** effective --controllers spec of this run */
  readonly controllers: string
  /** the port the daemon asked for (it may have fallen back to another) */
  readonly desiredPort: number
  /** the port it actually listens on, once listening */
  readonly port?: number
  readonly startedAt: string
}

const isInt = (u: unknown): u is number => typeof u === "number" && Number.isInteger(u)

export const decode = (text: string): Either.Either<RunRecord, string> => {
  let u: unknown
  try {
    u = JSON.parse(text)
  } catch (e) {
    return Either.left(`run record is not JSON: ${(e as Error).message}`)
  }
  if (typeof u !== "object" || u === null) return Either.left("run record is not an object")
  const r = u as Record<string, unknown>
  if (!isInt(r["pid"]) || typeof r["startId"] !== "string" || typeof r["controllers"] !== "string" ||
    !isInt(r["desiredPort"]) || typeof r["startedAt"] !== "string" || (r["port"] !== undefined && !isInt(r["port"]))) {
    return Either.left("run record has missing or mistyped fields")
  }
  const base = { pid: r["pid"], startId: r["startId"], controllers: r["controllers"], desiredPort: r["desiredPort"], startedAt: r["startedAt"] }
  return Either.right(isInt(r["port"]) ? { ...base, port: r["port"] } : base)
}

export const encode = (r: RunRecord): string => JSON.stringify(r, null, 2)
