/**
 * JSON merge patch (RFC 7386), the `application/merge-patch+json` patch type and
 * what `kubectl label/annotate` and client-side apply of custom resources send:
 * objects merge recursively, `null` deletes a key, anything else (arrays
 * included) replaces. `diff` builds the patch that turns one document into
 * another, the inverse used by tests and by controllers that write minimal patches.
 */
import { clone, deepEqual, isObject, set, type Json, type MutableJsonObject } from "./Json.js"

/** Applies `patch` to `target` without mutating either. */
export const apply = (target: Json | undefined, patch: Json): Json => {
  if (!isObject(patch)) return clone(patch)
  const out: MutableJsonObject = {}
  if (isObject(target)) for (const [k, v] of Object.entries(target)) set(out, k, clone(v))
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else set(out, k, apply(Object.prototype.hasOwnProperty.call(out, k) ? out[k] : undefined, v))
  }
  return out
}

/**
 * The merge patch from `original` to `modified`: `apply(original, diff(original,
 * modified))` equals `modified` whenever `modified` has no `null` inside
 * objects (merge patches cannot express "set to null").
 */
export const diff = (original: Json, modified: Json): Json => {
  if (!isObject(original) || !isObject(modified)) return clone(modified)
  const out: MutableJsonObject = {}
  for (const k of Object.keys(original)) {
    if (!Object.prototype.hasOwnProperty.call(modified, k)) set(out, k, null)
  }
  for (const [k, v] of Object.entries(modified)) {
    const before = Object.prototype.hasOwnProperty.call(original, k) ? original[k] : undefined
    if (before !== undefined && deepEqual(before, v)) continue
    if (before !== undefined && isObject(before) && isObject(v)) set(out, k, diff(before, v))
    else set(out, k, clone(v))
  }
  return out
}
