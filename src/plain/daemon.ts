/**
 * What the plain paths (index.ts) read before any of Effect loads: the command
 * line (once, for all of them), and the instance's live daemon by the rule services/Daemon.ts's
 * `findDaemon` applies (the pid file's pid, alive, and its argv an rdd daemon of
 * this instance: a reused pid is not it). No logging: the plain paths leave every
 * command line that would print debug lines to the full path.
 */
import * as fs from "node:fs"
import { servesInstance } from "../domain/CommandLine.js"
import * as DirectCommand from "../domain/DirectCommand.js"
import * as GlobalArgs from "../domain/GlobalArgs.js"
import * as Instance from "../domain/Instance.js"
import * as HostEnv from "../layers/HostEnv.js"
import { alive, argvOf } from "../layers/ProcessTable.js"

/** Where a plain path runs: the environment, the script (developer mode's checkout rule) and where instances live. */
export interface Host {
  readonly env: NodeJS.ProcessEnv
  readonly script: string | undefined
  readonly pathEnv: Instance.PathEnv
}

export const thisProcess = (): Host => ({ env: process.env, script: process.argv[1], pathEnv: HostEnv.pathEnv() })

/** A command line as the full path would read it: its global flags and, when it is one of the plain forms, which. */
export interface CommandLine {
  readonly globals: GlobalArgs.GlobalArgs
  readonly direct: DirectCommand.Direct | undefined
}

/**
 * Reads `args` (the words after `rdd`) once for every plain path, or says why no
 * plain path may run it: a usage error (the full path reports it) or a log level
 * that shows the full path's debug lines.
 */
export const read = (args: ReadonlyArray<string>, host: Host): CommandLine | string => {
  const parsed = GlobalArgs.parse(GlobalArgs.passThroughArgv(args), host.env, HostEnv.inCheckout(host.script))
  if (parsed._tag === "Left") return "the global flags need the full path's usage error"
  const g = parsed.right
  if (g.logLevel === "trace" || g.logLevel === "debug") return `log level ${g.logLevel}`
  return { globals: g, direct: DirectCommand.match(g.rest) }
}

export const readText = (file: string): string | undefined => {
  try {
    return fs.readFileSync(file, "utf8")
  } catch {
    return undefined
  }
}

/** The pid of the instance's live daemon, if one runs. */
export const liveDaemon = (paths: Instance.Paths, suffix: string): number | undefined => {
  const text = readText(paths.pid_file)
  const pid = text === undefined ? undefined : Instance.parsePid(text)
  if (pid === undefined || !alive(pid)) return undefined
  const argv = argvOf(pid)
  return argv !== undefined && servesInstance(argv, suffix) ? pid : undefined
}
