/** `rdd svc paths [KEY] [-o table|json|shell]` (SPEC 2.6): pure, needs no daemon. */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { OutputFormats } from "../../domain/CommandLine.js"
import { type PathKey, PathKeys } from "../../domain/Instance.js"
import { output } from "../options.js"
import { show } from "./paths-show.js"

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

export const paths = Command.make("paths", { key, output: output(OutputFormats.svcPaths, OutputFormats.svcPaths[0]) }, show).pipe(
  Command.withDescription("Print the paths of the instance's files and directories")
)
