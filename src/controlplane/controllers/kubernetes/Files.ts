/**
 * A kubeconfig file the kubernetes controller keeps: read leniently (absent =
 * undefined; not YAML or not a mapping = an error, so a file the controller
 * cannot understand is never overwritten), written atomically with mode 0600
 * (temp + rename, so kubectl never reads half a file), written only when its
 * content changes, removed quietly when absent.
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import { parse as parseYaml, stringify } from "yaml"
import type { Kubeconfig } from "../../../domain/KubeconfigMerge.js"
import { writeFileAtomicSync } from "../../../layers/NodeInstanceDir.js"

export interface KubeconfigFile {
  readonly path: string
  readonly read: Effect.Effect<Kubeconfig | undefined, string>
  readonly write: (config: Kubeconfig) => Effect.Effect<void, string>
  readonly remove: Effect.Effect<void, string>
}

const message = (e: unknown) => (e instanceof Error ? e.message : String(e))

/** Parses kubeconfig text; an empty file is an empty config. */
export const parse = (text: string, where: string): Kubeconfig | { readonly error: string } => {
  let value: unknown
  try {
    value = parseYaml(text)
  } catch (e) {
    return { error: `${where} is not valid YAML (${message(e).split("\n")[0]}); it is left as it is` }
  }
  if (value === null || value === undefined) return {}
  if (typeof value !== "object" || Array.isArray(value)) return { error: `${where} is not a kubeconfig mapping; it is left as it is` }
  return value as Kubeconfig
}

export const file = (path: string): KubeconfigFile => {
  const read = Effect.suspend(() => {
    let text: string
    try {
      text = fs.readFileSync(path, "utf8")
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "ENOENT") return Effect.succeed(undefined)
      return Effect.fail(`cannot read ${path}: ${message(e)}`)
    }
    const parsed = parse(text, path)
    return "error" in parsed && typeof parsed.error === "string" ? Effect.fail(parsed.error) : Effect.succeed(parsed as Kubeconfig)
  })
  return {
    path,
    read,
    write: (config) =>
      Effect.try({
        try: () => {
          const text = stringify(config)
          try {
            if (fs.readFileSync(path, "utf8") === text) return
          } catch {
            // absent: written below
          }
          writeFileAtomicSync(path, text, 0o600)
        },
        catch: (e) => `cannot write ${path}: ${message(e)}`
      }),
    remove: Effect.try({ try: () => fs.rmSync(path, { force: true }), catch: (e) => `cannot remove ${path}: ${message(e)}` })
  }
}
