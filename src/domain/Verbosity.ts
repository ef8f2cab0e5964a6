/**
 * The CLI's log level as the control plane receives it: klog's `-v` (the Go
 * tool's mapping: debug 2, trace 4, anything else 0). `svc create` saves it in
 * args.json; `svc start` and autostart add it for one run when the command line
 * asked for a level (flag or RDD_LOG_LEVEL), so a daemon created at debug keeps
 * logging at debug when a later start asks for nothing. The daemon reads it
 * back: 2 or 3 is debug, 4 and more trace; 0 and 1 leave its own default level.
 */
import type { Level } from "./LogFormat.js"

export const Flag = "-v"

export const ofLevel = (level: Level): number => (level === "trace" ? 4 : level === "debug" ? 2 : 0)

/** The daemon's level for `-v n`; undefined: the daemon's default applies. */
export const levelOf = (v: number): Level | undefined => (v >= 4 ? "trace" : v >= 2 ? "debug" : undefined)

export const args = (v: number): ReadonlyArray<string> => [Flag, String(v)]

/** What a start passes for one run: `-v` only when the level was asked for on this command line. */
export const session = (o: { readonly logLevel: Level; readonly logLevelExplicit: boolean }): { readonly verbosity?: number } =>
  o.logLevelExplicit ? { verbosity: ofLevel(o.logLevel) } : {}
