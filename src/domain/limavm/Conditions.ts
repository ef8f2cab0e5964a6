/**
 * Status conditions as `meta.SetStatusCondition` maintains them: one entry per
 * type, `lastTransitionTime` moves only when the status flips, messages are
 * capped at the schema's 32768 characters (reference 1.8, item 44). Pure, so the
 * reconciler can compute a whole status patch and know whether anything changed.
 */
import type { Condition } from "../KubeObject.js"

export const MaxMessageLength = 32768
const truncatedSuffix = "… (truncated)"

export const truncateMessage = (message: string): string => {
  const chars = Array.from(message)
  if (chars.length <= MaxMessageLength) return message
  return chars.slice(0, MaxMessageLength - Array.from(truncatedSuffix).length).join("") + truncatedSuffix
}

export interface Desired {
  readonly type: string
  readonly status: Condition["status"]
  readonly reason: string
  readonly message: string
}

/** True when `current` already says exactly what `desired` says. */
export const matches = (current: Condition | undefined, desired: Desired): boolean =>
  current !== undefined && current.status === desired.status && current.reason === desired.reason &&
  current.message === truncateMessage(desired.message)

/**
 * Sets a condition; returns the new list and whether it differs. `now` is an
 * RFC 3339 timestamp (seconds, as the API stores them).
 */
export const set = (
  conditions: ReadonlyArray<Condition>,
  desired: Desired,
  now: string
): { readonly conditions: ReadonlyArray<Condition>; readonly changed: boolean } => {
  const current = conditions.find((c) => c.type === desired.type)
  if (matches(current, desired)) return { conditions, changed: false }
  const next: Condition = {
    type: desired.type,
    status: desired.status,
    reason: desired.reason,
    message: truncateMessage(desired.message),
    lastTransitionTime: current !== undefined && current.status === desired.status && current.lastTransitionTime !== undefined
      ? current.lastTransitionTime
      : now
  }
  return {
    conditions: current === undefined ? [...conditions, next] : conditions.map((c) => (c.type === desired.type ? next : c)),
    changed: true
  }
}

/** RFC 3339 with second precision, as Kubernetes serialises metav1.Time. */
export const timestamp = (millis: number): string => new Date(Math.floor(millis / 1000) * 1000).toISOString().replace(".000Z", "Z")
