/** `rdd svc paths [KEY] [-o table|json|shell]` (SPEC 2.6): pure, needs no daemon. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { type PathKey, PathKeys } from "../../domain/Instance.js"
import { InstanceDir } from "../../services/InstanceDir.js"
import { output } from "../options.js"

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

const key = Args.text({ name: "KEY" }).pipe(
  Args.withDescription(`One of: ${PathKeys.join(", ")}`),
  Args.optional,
  Args.mapEffect((k: Option.Option<string>) =>
    Option.match(k, {
      onNone: () => Effect.succeed(Option.none<PathKey>()),
      onSome: (v) =>
        (PathKeys as ReadonlyArray<string>).includes(v)
          ? Effect.succeed(Option.some(v as PathKey))
          : Effect.fail(HelpDoc.p(`unknown key ${JSON.stringify(v)}; valid keys: ${PathKeys.join(", ")}`))
    }))
)

export const paths = Command.make("paths", { key, output: output(["table", "json", "shell"] as const, "table") }, (o) =>
  Effect.gen(function*() {
    const dir = yield* InstanceDir
    const keys = Option.match(o.key, { onNone: () => PathKeys, onSome: (k) => [k] })
    yield* Console.log(render(keys.map((k) => [k, dir.paths[k]] as const), o.output, Option.isSome(o.key)))
  })).pipe(Command.withDescription("Print the paths of the instance's files and directories"))
