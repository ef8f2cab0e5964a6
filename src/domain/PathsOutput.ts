/**
 * What `rdd svc paths [KEY] [-o table|json|shell]` prints (SPEC 2.6): the
 * instance's paths as a table (a bare value for one KEY), a JSON object, or
 * `export RDD_<KEY>=…` lines to source. Pure, so that the bin's plain path
 * (src/plain/paths.ts) and the full path (commands/svc/paths-show.ts) print it
 * through the one function.
 */
import { type PathKey, PathKeys, type Paths } from "./Instance.js"

export type Format = "table" | "json" | "shell"

/** Double-quoted for POSIX shells: safe to `source`. */
const shellQuote = (s: string): string => `"${s.replace(/["\\$`]/g, (c) => `\\${c}`)}"`

const render = (entries: ReadonlyArray<readonly [PathKey, string]>, format: Format, bare: boolean): string => {
  switch (format) {
    case "json":
      return JSON.stringify(Object.fromEntries(entries))
    case "shell":
      return entries.map(([k, v]) => `export RDD_${k.toUpperCase()}=${shellQuote(v)}`).join("\n")
    case "table": {
      if (bare) return entries.map(([, v]) => v).join("\n")
      const width = Math.max(...entries.map(([k]) => k.length))
      return entries.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join("\n")
    }
  }
}

/** The whole output for these paths: every key, or the one asked for (printed bare in a table). */
export const show = (paths: Paths, key: PathKey | undefined, format: Format): string =>
  render((key === undefined ? PathKeys : [key]).map((k) => [k, paths[k]] as const), format, key !== undefined)
