/**
 * Whether `limavm create NAME TEMPLATE` asks for the template the existing VM
 * already has. A LimaVM's templateRef is immutable, so a different one cannot be
 * applied; saying "already exists" (exit 0) would let the user believe it was.
 * Pure: the caller supplies what the VM has and what was asked for.
 */

/** What the existing VM was created with: its templateRef and, when readable, that ConfigMap's template text. */
export interface Existing {
  readonly templateRef: string
  readonly text: string | undefined
}

/** What this command asks for: a ConfigMap by name, or a file's text (which would become ConfigMap NAME). */
export type Requested =
  | { readonly _tag: "ConfigMap"; readonly name: string }
  | { readonly _tag: "File"; readonly path: string; readonly configMap: string; readonly text: string }

const q = (s: string) => JSON.stringify(s)

/** The first line where two texts differ (1-based), with both lines, for a message. */
export const firstDifference = (had: string, wanted: string): string => {
  const a = had.split("\n")
  const b = wanted.split("\n")
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) {
      const show = (l: string | undefined) => (l === undefined ? "(end of text)" : q(l.length > 80 ? `${l.slice(0, 77)}...` : l))
      return `line ${i + 1}: ${show(a[i])} now ${show(b[i])}`
    }
  }
  return "no difference"
}

/** undefined when the request matches what the VM has; otherwise the difference, worded for the user. */
export const difference = (existing: Existing, requested: Requested): string | undefined => {
  if (requested._tag === "ConfigMap") {
    return requested.name === existing.templateRef
      ? undefined
      : `template ConfigMap ${q(existing.templateRef)}, not ${q(requested.name)}`
  }
  if (requested.configMap !== existing.templateRef) {
    return `template ConfigMap ${q(existing.templateRef)}, not one made from file ${q(requested.path)}`
  }
  if (existing.text === undefined) {
    return `a template ConfigMap ${q(existing.templateRef)} that cannot be read to compare with file ${q(requested.path)}`
  }
  return existing.text === requested.text
    ? undefined
    : `a template that differs from file ${q(requested.path)} (${firstDifference(existing.text, requested.text)})`
}
