/** `rdd version`: version, commit and Node version on stdout. */
import * as Command from "@effect/cli/Command"
import * as Console from "effect/Console"
import * as Version from "../domain/Version.js"

export const version = (nodeVersion: string) =>
  Command.make("version", {}, () => Console.log(Version.describe(nodeVersion))).pipe(
    Command.withDescription("Print the version of rdd")
  )
