/**
 * A plain `rdd svc status` (text), answered by the bin (src/shim.ts, through
 * index.ts) before any of Effect is loaded (SPEC 2.5 and 6: status must be fast;
 * issue 15: ≤ 2× `node -e 0`). It prints what commands/svc/status-show.ts `text`
 * prints — the Go tool's three lines and, in developer mode, a fourth — from the
 * same facts (created = args.json exists; started and PID = the live daemon by
 * Daemon.findDaemon's rule) through the same formatter (LogFormat.render, as the
 * Logging layer writes them). `-o json` asks the API whether it is ready, and any
 * log level that would show the full path's debug lines, goes to the full path.
 */
import * as fs from "node:fs"
import * as DeveloperMode from "../domain/DeveloperMode.js"
import * as Instance from "../domain/Instance.js"
import * as LogFormat from "../domain/LogFormat.js"
import * as HostEnv from "../layers/HostEnv.js"
import { type CommandLine, type Host, liveDaemon } from "./daemon.js"

/** The lines `svc status` writes to stderr for this command line, or undefined when the full path must run it. */
export const lines = (line: CommandLine | string, host: Host, o: { readonly isTTY: boolean; readonly now: Date }): ReadonlyArray<string> | undefined => {
  if (typeof line === "string") return undefined
  const { direct, globals: g } = line
  if (direct?.command !== "svc status" || direct.output !== "text") return undefined
  const paths = Instance.paths(g.instance, host.pathEnv)
  const created = fs.existsSync(paths.args_file)
  const pid = liveDaemon(paths, g.instance.suffix)
  const name = Instance.quoted(g.instance)
  const messages = [
    `${name} control plane has been created: ${created}`,
    `${name} control plane has been started: ${pid !== undefined}`,
    `${name} control plane PID is: ${pid ?? 0}`,
    ...(g.developerMode ? [DeveloperMode.EnabledMessage] : [])
  ]
  return messages.map((message) => LogFormat.render({ format: g.logFormat, isTTY: o.isTTY, startedAt: o.now }, { level: "info", message, time: o.now, fields: {} }))
}

/** True when the status was told here (exit 0, as SPEC 2.5 says), false when the full path must run it. */
export const run = (line: CommandLine, host: Host): boolean => {
  const out = lines(line, host, { isTTY: HostEnv.stderrDrawable(), now: new Date() })
  if (out === undefined) return false
  process.stderr.write(out.map((l) => `${l}\n`).join(""))
  return true
}
