/**
 * `rdd limavm edit NAME`: what an edit of a VM's template copy comes to, decided
 * from the texts alone (the Go tool's `limavm edit`, with kubectl edit's reopen
 * on a rejection). A rejected text is handed back to the editor under a few
 * `# rdd:` comment lines saying why; those lines are not part of the template
 * and are dropped again (the template's own comments are kept as written).
 */
const Marker = "# rdd:"

/** The editor to run: KUBE_EDITOR, then EDITOR, then VISUAL (the first non-blank), else vi. */
export const editorOf = (env: Readonly<Record<string, string | undefined>>): string =>
  [env["KUBE_EDITOR"], env["EDITOR"], env["VISUAL"]].map((v) => v?.trim() ?? "").find((v) => v !== "") ?? "vi"

/** The lines put above a rejected template when the editor is opened again. */
export const header = (problem: string): string =>
  [
    "the API server rejected this template. Fix it and save to try again;",
    "save it unchanged (or empty it) to give up. These lines are removed before saving:",
    ...problem.split("\n")
  ].map((l) => `${Marker} ${l}`.trimEnd()).join("\n") + "\n"

/** The edited text without rdd's comment lines. */
export const strip = (edited: string): string =>
  edited.split("\n").filter((l) => !l.startsWith(Marker)).join("\n")

export type Verdict =
  /** empty after trimming: nothing is saved (the Go tool's message) */
  | { readonly _tag: "Cleared" }
  /** the same template as before: nothing to write */
  | { readonly _tag: "Unchanged" }
  /** the text that was just rejected, saved again unchanged: the user gives up */
  | { readonly _tag: "GaveUp" }
  /** a new template to write (trimmed, one final newline) */
  | { readonly _tag: "Changed"; readonly template: string }

export const ClearedMessage = "template data was cleared, aborting edit"
export const UnchangedMessage = "No changes made to template, skipping update"

/**
 * @param original the template copy's text when the edit began
 * @param edited what the editor left in the file
 * @param rejected the text the API server refused last time, if any
 */
export const judge = (original: string, edited: string, rejected?: string): Verdict => {
  const body = strip(edited).trim()
  if (body === "") return { _tag: "Cleared" }
  if (body === original.trim()) return { _tag: "Unchanged" }
  if (rejected !== undefined && body === rejected.trim()) return { _tag: "GaveUp" }
  return { _tag: "Changed", template: `${body}\n` }
}
