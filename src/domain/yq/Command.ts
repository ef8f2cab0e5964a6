/**
 * `rdd yq ARGS...` (reference go-rdd-cli-surface 5.4): yq's command line, for
 * the part rdd implements. A first word that is not a yq subcommand means
 * `eval` (as the Go tool arranges). Flags: -n/--null-input, -o/--output-format
 * yaml|json (y, j), -I/--indent N, -e/--exit-status, -V/--version, -h/--help;
 * -P/--prettyPrint and -M/--no-colors are accepted and change nothing (the
 * output is always block style and never coloured). Pure: reading files and
 * stdin is the command's job.
 */
import * as YAML from "yaml"

/** The yq release whose expression language and messages the subset follows (what the Go tool embeds). */
export const VersionLine = "yq (https://github.com/mikefarah/yq/) version v4.53.2"

export type OutputFormat = "yaml" | "json"

export interface Eval {
  readonly _tag: "Eval"
  readonly nullInput: boolean
  readonly output: OutputFormat
  readonly indent: number
  readonly exitStatus: boolean
  /** the positional words: the expression, then files (`-` is stdin) */
  readonly words: ReadonlyArray<string>
}

export type Request =
  | { readonly _tag: "Version" }
  | { readonly _tag: "Help" }
  | { readonly _tag: "Error"; readonly message: string }
  | Eval

export const Help = `rdd yq: a subset of yq (mikefarah/yq v4) for YAML and JSON

Usage:
  rdd yq [eval] [flags] [EXPRESSION] [FILE...]
  yq [eval] [flags] [EXPRESSION] [FILE...]      (rdd under the name yq)

Reads each YAML document of each FILE (stdin when there is none, or for -) and prints
what EXPRESSION makes of it. Expressions: . .a.b .a[0] .a["k"] .[] | , // = |= +=
== != < <= > >= and or + - (e) [e] {k: e} literals, and select(e) keys length has(k)
not map(e) to_entries type add.

Flags:
  -n, --null-input          Evaluate EXPRESSION once, with null as input, reading nothing
  -o, --output-format FMT   yaml (default) or json (also y, j)
  -I, --indent N            Indentation of the output (default 2)
  -e, --exit-status         Exit 1 when the last output is null or false, or there is none
  -P, --prettyPrint         Accepted; the output is always in block style
  -M, --no-colors           Accepted; the output is never coloured
  -V, --version             Print the version line
  -h, --help                This help`

const Subcommands: ReadonlySet<string> = new Set(["eval", "e", "eval-all", "ea", "help", "completion", "shell-completion"])

const outputFormat = (raw: string): OutputFormat | undefined =>
  raw === "yaml" || raw === "y" ? "yaml" : raw === "json" || raw === "j" ? "json" : undefined

export const parseArgs = (argv: ReadonlyArray<string>): Request => {
  const args = [...argv]
  if (args[0] !== undefined && Subcommands.has(args[0])) {
    const sub = args.shift()!
    if (sub === "help") return { _tag: "Help" }
    if (sub !== "eval" && sub !== "e") return { _tag: "Error", message: `rdd yq implements the eval command only, not ${JSON.stringify(sub)}` }
  }
  let nullInput = false
  let output: OutputFormat = "yaml"
  let indent = 2
  let exitStatus = false
  const words: Array<string> = []
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!
    if (a === "--") {
      words.push(...args.slice(i + 1))
      break
    }
    if (!a.startsWith("-") || a === "-") {
      words.push(a)
      continue
    }
    // --flag=value, --flag value, -fvalue, -f value, -f=value
    const long = /^--([a-zA-Z-]+)(?:=(.*))?$/s.exec(a)
    const short = /^-([a-zA-Z])(?:=?(.*))?$/s.exec(a)
    const name = long?.[1] ?? short?.[1]
    if (name === undefined) return { _tag: "Error", message: `unknown flag: ${a}` }
    const attached = long !== null ? long[2] : short?.[2] === "" ? undefined : short?.[2]
    const value = (): string | undefined => attached ?? (i + 1 < args.length ? args[++i] : undefined)
    switch (name) {
      case "n":
      case "null-input":
        nullInput = true
        break
      case "e":
      case "exit-status":
        exitStatus = true
        break
      case "P":
      case "prettyPrint":
      case "M":
      case "no-colors":
        break
      case "V":
      case "version":
        return { _tag: "Version" }
      case "h":
      case "help":
        return { _tag: "Help" }
      case "o":
      case "output-format": {
        const raw = value()
        const f = raw === undefined ? undefined : outputFormat(raw)
        if (f === undefined) return { _tag: "Error", message: `unknown output format ${JSON.stringify(raw ?? "")}: rdd yq writes yaml or json` }
        output = f
        break
      }
      case "I":
      case "indent": {
        const raw = value()
        if (raw === undefined || !/^[0-9]{1,2}$/.test(raw)) return { _tag: "Error", message: `invalid argument ${JSON.stringify(raw ?? "")} for "-I, --indent" flag: expected a number 0-99` }
        indent = Number(raw)
        break
      }
      default:
        return { _tag: "Error", message: long !== null ? `unknown flag: --${name}` : `unknown shorthand flag: '${name}' in ${a}` }
    }
  }
  return { _tag: "Eval", nullInput, output, indent, exitStatus, words }
}

/** One output value as yq prints it: scalars bare in YAML (strings unquoted), JSON indented by `indent` (0: one line). */
export const format = (value: unknown, output: OutputFormat, indent: number): string => {
  if (output === "json") return `${JSON.stringify(value ?? null, null, indent)}\n`
  if (typeof value === "string") return value.endsWith("\n") ? value : `${value}\n`
  if (value === null || value === undefined) return "null\n"
  if (typeof value !== "object") return `${String(value)}\n`
  return YAML.stringify(value, { indent: Math.max(1, indent), lineWidth: 0 })
}

/** Parses an input text into its documents; a YAML error is the message yq's users know ("bad file"). */
export const documents = (text: string, name: string): { readonly values: ReadonlyArray<unknown> } | { readonly error: string } => {
  const docs = YAML.parseAllDocuments(text)
  const values: Array<unknown> = []
  for (const d of Array.isArray(docs) ? docs : [docs]) {
    if (d.errors.length > 0) return { error: `bad file '${name}': ${d.errors[0]!.message.split("\n")[0]!.replace(/:$/, "")}` }
    // an empty stream (or a trailing ---) is no document
    if (d.contents === null) continue
    values.push(d.toJS({ maxAliasCount: 1000 }))
  }
  return { values }
}
