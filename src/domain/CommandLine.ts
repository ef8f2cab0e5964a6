/**
 * The shape of rdd's command line that more than one part of the CLI must agree
 * on, defined once: the global flags (read by GlobalArgs before @effect/cli runs,
 * listed by help), the pass-through commands (whose words nobody parses), the
 * command aliases, the lifecycle verbs (whose `--output json` record a usage error
 * prints too) and the words that run the daemon (also how a process is recognised
 * as one). Each command's own flags are defined in its @effect/cli module.
 */

export interface GlobalFlag {
  readonly name: "instance" | "log-level" | "log-format"
  /** the value's placeholder in help */
  readonly value: string
  readonly description: string
}

/** Before the command words (`--instance` only there, as in the Go tool); `_` may stand for `-`. */
export const GlobalFlags: ReadonlyArray<GlobalFlag> = [
  { name: "instance", value: "NAME", description: "The instance rancher-desktop-NAME (env RDD_INSTANCE; default 2)" },
  { name: "log-level", value: "LEVEL", description: "trace, debug, info, warning, error, fatal or panic (env RDD_LOG_LEVEL; default info)" },
  { name: "log-format", value: "text|json", description: "Format of the log lines on stderr (default text)" }
]

const globalFlagPattern = new RegExp(`^--(${GlobalFlags.map((f) => f.name.replace("-", "[-_]")).join("|")})(?:=(.*))?$`, "s")

/** The global flag a word is (`--log_level=debug` is `log-level` with value `debug`), if any. */
export const globalFlagOf = (token: string): { readonly flag: GlobalFlag["name"]; readonly value?: string } | undefined => {
  const m = globalFlagPattern.exec(token)
  if (m === null) return undefined
  const flag = m[1]!.replace("_", "-") as GlobalFlag["name"]
  return m[2] === undefined ? { flag } : { flag, value: m[2] }
}

/** `[--instance NAME] [--log-level LEVEL] ...`, for usage lines. */
export const globalFlagsUsage = (bracketed: boolean): string =>
  GlobalFlags.map((f) => (bracketed ? `[--${f.name} ${f.value}]` : `--${f.name} ${f.value}`)).join(bracketed ? " " : ", ")

/** Commands that get every later word untouched (cli.ts puts a `--` after their name). */
export const PassThroughCommands: ReadonlySet<string> = new Set(["kubectl", "ctl", "run", "yq"])

/** Other spellings of a command path, and the path they stand for. */
export const Aliases: ReadonlyArray<readonly [alias: string, canonical: string]> = [
  ["service", "svc"],
  ["lima", "limavm"],
  ["svc logs", "svc log"],
  ["limavm log", "limavm logs"]
]

/** The command words with every alias replaced by what it stands for (`service serve` is `svc serve`). */
export const canonical = (words: ReadonlyArray<string>): ReadonlyArray<string> => {
  const out: Array<string> = []
  for (const w of words) {
    const joined = [...out, w].join(" ")
    const hit = Aliases.find(([a]) => a === joined)
    out.splice(0, out.length, ...(hit === undefined ? [...out, w] : hit[1].split(" ")))
  }
  return out
}

/**
 * The lifecycle verbs (SPEC 1.3), by the name their `--output json` record gives
 * them. Each verb's handler reports under one of these names (the type checks it);
 * the CLI uses the list for usage errors found before any handler runs, so that
 * those print one record too.
 */
export const LifecycleVerbs = [
  "svc create", "svc start", "svc stop", "svc delete",
  "limavm create", "limavm start", "limavm stop", "limavm restart", "limavm delete",
  "set", "start", "stop"
] as const
export type LifecycleVerb = (typeof LifecycleVerbs)[number]

/** The lifecycle verb the leading command words name, if they name one. */
export const lifecycleVerb = (words: ReadonlyArray<string>): LifecycleVerb | undefined => {
  const [first, second] = canonical(words.slice(0, 2))
  if (first === undefined) return undefined
  const is = (v: string): v is LifecycleVerb => (LifecycleVerbs as ReadonlyArray<string>).includes(v)
  if (second !== undefined && is(`${first} ${second}`)) return `${first} ${second}` as LifecycleVerb
  return is(first) ? first : undefined
}

/** Whether a command line (words anywhere in it) runs the daemon: `svc serve` or `service serve`. */
export const namesServe = (argv: ReadonlyArray<string>): boolean =>
  argv.some((a, i) => canonical([a])[0] === "svc" && argv[i + 1] === "serve")

/** Is a process with this argv an rdd daemon serving the instance `suffix`? (What catches a reused pid.) */
export const servesInstance = (argv: ReadonlyArray<string>, suffix: string): boolean => {
  if (!namesServe(argv)) return false
  const inst = argv.findIndex((a) => a === "--instance")
  return inst >= 0 && argv[inst + 1] === suffix
}

/**
 * The `-o` formats of the commands that also run without @effect/cli
 * (DirectCommand.ts), defined once for both paths; the first is the default.
 */
export const OutputFormats = {
  svcStatus: ["text", "json"],
  svcPaths: ["table", "json", "shell"]
} as const
