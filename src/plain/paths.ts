/**
 * A plain `rdd svc paths [KEY] [-o table|json|shell]`, printed by the bin
 * (src/shim.ts, through index.ts) before any of Effect is loaded: scripts ask it
 * where the kubeconfig or the socket is, often several times. The paths are
 * Instance.paths' for the instance and the host's directories, as the full
 * path's InstanceDir computes them, printed through domain/PathsOutput.ts, the
 * full path's printer. Needs no daemon and reads no file.
 */
import * as Instance from "../domain/Instance.js"
import * as PathsOutput from "../domain/PathsOutput.js"
import type { CommandLine, Host } from "./daemon.js"

/** What `svc paths` writes to stdout for this command line, or undefined when it is not a plain `svc paths`. */
export const text = (line: CommandLine, host: Host): string | undefined => {
  const { direct, globals: g } = line
  if (direct?.command !== "svc paths") return undefined
  return PathsOutput.show(Instance.paths(g.instance, host.pathEnv), direct.key, direct.output)
}

/** True when the paths were printed here (exit 0), false when the full path must run the command. */
export const run = (line: CommandLine, host: Host): boolean => {
  const out = text(line, host)
  if (out === undefined) return false
  process.stdout.write(`${out}\n`)
  return true
}
