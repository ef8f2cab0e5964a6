/**
 * The daemon settings a user can ask for (`--controllers`, `--secure-port`), how
 * they are saved in args.json and passed to `svc serve` (the last occurrence of
 * a flag wins), and how requested settings are compared with saved or running
 * ones — so neither `svc create` nor `svc start` silently ignores a request.
 */
import * as Option from "effect/Option"
import * as ControllerSpec from "../domain/ControllerSpec.js"
import * as Verbosity from "../domain/Verbosity.js"

/** Daemon settings a user can ask for; None = not given on this command line. */
export interface Settings {
  readonly controllers: Option.Option<string>
  readonly securePort: Option.Option<number>
  /** klog `-v` for the daemon (domain/Verbosity.ts); never compared, a level is no setting to refuse a start over */
  readonly verbosity?: number
}

export const noSettings: Settings = { controllers: Option.none(), securePort: Option.none() }

/** The value of the last occurrence of `--flag X` / `--flag=X` (the daemon's rule). */
export const lastFlag = (args: ReadonlyArray<string>, flag: string): Option.Option<string> => {
  let found: Option.Option<string> = Option.none()
  args.forEach((a, i) => {
    if (a === flag && i + 1 < args.length) found = Option.some(args[i + 1]!)
    else if (a.startsWith(`${flag}=`)) found = Option.some(a.slice(flag.length + 1))
  })
  return found
}

const verbosityArgs = (s: Settings): ReadonlyArray<string> => (s.verbosity === undefined ? [] : Verbosity.args(s.verbosity))

export const settingsArgs = (s: Settings): ReadonlyArray<string> => [
  ...Option.match(s.controllers, { onNone: () => [], onSome: (c) => ["--controllers", c] }),
  ...Option.match(s.securePort, { onNone: () => [], onSome: (p) => ["--secure-port", String(p)] }),
  ...verbosityArgs(s)
]

/** Saved arguments of a new instance: the default port first, so a later --secure-port wins. */
export const createArgs = (defaultPort: number, s: Settings): ReadonlyArray<string> => [
  "--secure-port",
  String(defaultPort),
  "--controllers",
  Option.getOrElse(s.controllers, () => ControllerSpec.DefaultSpec),
  ...Option.match(s.securePort, { onNone: () => [], onSome: (p) => ["--secure-port", String(p)] }),
  ...verbosityArgs(s)
]

/** Which requested settings differ from the saved or running ones (human text per setting). */
export const differences = (
  requested: Settings,
  actual: { readonly controllers: string; readonly port: Option.Option<number> }
): ReadonlyArray<string> => [
  ...Option.match(requested.controllers, {
    onNone: () => [],
    onSome: (c) => ControllerSpec.sameSelection(c, actual.controllers) ? [] : [`--controllers is ${JSON.stringify(actual.controllers)}, not ${JSON.stringify(c)}`]
  }),
  ...Option.match(requested.securePort, {
    onNone: () => [],
    onSome: (p) => Option.contains(actual.port, p) ? [] : [`--secure-port is ${Option.getOrElse(Option.map(actual.port, String), () => "the default")}, not ${p}`]
  })
]

