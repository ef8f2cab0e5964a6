/**
 * The global flags, read before @effect/cli sees the command line:
 * `--instance` (only before the subcommand, as in the Go tool), `--log-level`
 * and `--log-format` (anywhere before `--`, with `_` accepted for `-`), and the
 * environment fallbacks RDD_INSTANCE and RDD_LOG_LEVEL. Pass-through commands
 * (`kubectl`, `ctl`, `run`, `yq`) keep everything after their name untouched.
 * This is also where @effect/cli's own `--log-level` built-in is kept out of the way.
 */
import * as Either from "effect/Either"
import { globalFlagOf, PassThroughCommands, type GlobalFlag } from "./CommandLine.js"
import * as DeveloperMode from "./DeveloperMode.js"
import * as Instance from "./Instance.js"
import * as LogFormat from "./LogFormat.js"

export interface GlobalArgs {
  readonly instance: Instance.Instance
  readonly logLevel: LogFormat.Level
  readonly logFormat: LogFormat.Format
  /** the level came from --log-level or RDD_LOG_LEVEL (not a default): the daemon gets it for this run */
  readonly logLevelExplicit: boolean
  readonly developerMode: boolean
  /** the command line without the global flags */
  readonly rest: ReadonlyArray<string>
}

/** A global flag whose value is the next word (`--instance x`). */
const takesValue = (token: string): boolean => {
  const f = globalFlagOf(token)
  return f !== undefined && f.value === undefined
}

/**
 * Pass-through commands get a `--` after their name, so @effect/cli hands every
 * later word to them untouched. `args` are the words after `rdd` (main.ts has
 * already turned a `kubectl` multicall into `kubectl ...`).
 */
export const passThroughArgv = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const at = args.findIndex((a) => !a.startsWith("-"))
  let skip = at
  // the first non-flag word may be the value of a global flag (`--instance x ctl ...`)
  while (skip > 0 && takesValue(args[skip - 1]!)) {
    const next = args.slice(skip + 1).findIndex((a) => !a.startsWith("-"))
    skip = next < 0 ? -1 : skip + 1 + next
  }
  if (skip < 0 || !PassThroughCommands.has(args[skip]!)) return args
  // `run` sees its words as typed, a leading `--` included (it drops it itself: `rdd run -- --help`)
  if (args[skip + 1] === "--" && args[skip] !== "run") return args
  return [...args.slice(0, skip + 1), "--", ...args.slice(skip + 1)]
}

type Flag = GlobalFlag["name"]

export const parse = (
  argv: ReadonlyArray<string>,
  env: Readonly<Record<string, string | undefined>>,
  /** whether the running script sits in a source checkout (DeveloperMode.decide; asked only when RDD_DEVELOPER_MODE is unset) */
  inCheckout: () => boolean = () => false
): Either.Either<GlobalArgs, string> => {
  const found: Partial<Record<Flag, string>> = {}
  const rest: Array<string> = []
  let seenCommand = false
  let passThrough = false
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    if (passThrough || token === "--") {
      passThrough = true
      rest.push(token)
      continue
    }
    const f = globalFlagOf(token)
    if (f === undefined || (f.flag === "instance" && seenCommand)) {
      if (f !== undefined) {
        return Either.left(`--instance must come before the subcommand, e.g. "rdd --instance ${f.value ?? "NAME"} ${argv.filter((a) => !a.startsWith("--instance")).join(" ")}"`)
      }
      if (!token.startsWith("-")) {
        if (!seenCommand && PassThroughCommands.has(token)) passThrough = true
        seenCommand = true
      }
      rest.push(token)
      continue
    }
    // `--instance=` (empty) is dropped, as the Go tool does: RDD_INSTANCE or the default applies
    if (f.flag === "instance" && f.value === "") continue
    let value = f.value
    if (value === undefined) {
      const next = argv[i + 1]
      if (next === undefined || next.startsWith("-")) return Either.left(`flag --${f.flag} needs a value`)
      value = next
      i++
    }
    found[f.flag] = value
  }
  const suffix = found.instance ?? (env["RDD_INSTANCE"] !== undefined && env["RDD_INSTANCE"] !== "" ? env["RDD_INSTANCE"] : Instance.DefaultSuffix)
  const envLevel = env["RDD_LOG_LEVEL"]?.trim()
  const developerMode = DeveloperMode.decide(env[DeveloperMode.Variable], inCheckout)
  const fallbackLevel = developerMode ? "debug" : "info"
  const explicitLevel = found["log-level"] ?? (envLevel !== undefined && envLevel !== "" ? envLevel : undefined)
  const levelRaw = explicitLevel ?? fallbackLevel
  return Either.gen(function*() {
    const instance = yield* Instance.make(suffix)
    const logLevel = yield* Either.mapLeft(LogFormat.parseLevel(levelRaw), (m) =>
      found["log-level"] === undefined ? `RDD_LOG_LEVEL: ${m}` : `--log-level: ${m}`)
    const logFormat = yield* LogFormat.parseFormat(found["log-format"] ?? "text")
    return { instance, logLevel, logFormat, logLevelExplicit: explicitLevel !== undefined, developerMode, rest }
  })
}
