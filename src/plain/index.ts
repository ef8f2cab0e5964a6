/**
 * The bin's plain paths (the build's plain.js, loaded by src/shim.ts): the
 * commands people and scripts type most, run without Effect's runtime when
 * nothing about them needs it — `rdd ctl` on a ready control plane (ctl.ts), a
 * plain `rdd svc status` (status.ts) and `rdd svc paths` (paths.ts). The command
 * line is read once here; the one it names says whether it ran the command, and
 * when it did not (or none is named) the shim loads main.js and the full path
 * runs it, exactly as before.
 */
import * as Ctl from "./ctl.js"
import { read, thisProcess } from "./daemon.js"
import * as Paths from "./paths.js"
import * as Status from "./status.js"

export const run = async (args: ReadonlyArray<string>): Promise<boolean> => {
  const host = thisProcess()
  const line = read(args, host)
  if (typeof line === "string") return false
  switch (line.direct?.command) {
    case "svc status":
      return Status.run(line, host)
    case "svc paths":
      return Paths.run(line, host)
    case "ctl":
      return Ctl.run(line, host)
    default:
      return false
  }
}
