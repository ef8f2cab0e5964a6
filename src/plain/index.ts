/**
 * The bin's plain paths (the build's plain.js, loaded by src/shim.ts): the two
 * commands people type most, run without Effect's runtime when nothing about them
 * needs it — `rdd ctl` on a ready control plane (ctl.ts) and a plain `rdd svc
 * status` (status.ts). Each says whether it ran the command; when neither did, the
 * shim loads main.js and the full path runs it, exactly as before.
 */
import * as Ctl from "./ctl.js"
import { thisProcess } from "./daemon.js"
import * as Status from "./status.js"

export const run = async (args: ReadonlyArray<string>): Promise<boolean> => {
  const host = thisProcess()
  return Status.run(args, host) || Ctl.run(args, host)
}
