/**
 * What `rdd svc paths [KEY] [-o table|json|shell]` prints (SPEC 2.6), without
 * @effect/cli: run by svc/paths.ts and, for its plain forms, directly by cli.ts
 * (domain/DirectCommand.ts).
 */
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type PathKey, PathKeys } from "../../domain/Instance.js"
import { InstanceDir } from "../../services/InstanceDir.js"

/** Double-quoted for POSIX shells: safe to `source`. */
const shellQuote = (s: string): string => `"${s.replace(/["\\$`]/g, (c) => `\\${c}`)}"`

export const render = (entries: ReadonlyArray<readonly [PathKey, string]>, format: "table" | "json" | "shell", bare: boolean): string => {
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

export const show = (o: { readonly key: Option.Option<PathKey>; readonly output: "table" | "json" | "shell" }) =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const keys = Option.match(o.key, { onNone: () => PathKeys, onSome: (k) => [k] })
    yield* Console.log(render(keys.map((k) => [k, dir.paths[k]] as const), o.output, Option.isSome(o.key)))
  })
