/**
 * The command tree of the built CLI, read from its help the way a user sees it,
 * so that the bad-input suite covers every command and flag that exists,
 * including the ones added after the suite was written. `rdd --help` lists the
 * commands (`  svc (alias service)  ...`, `    svc start  ...`); each command's
 * own help gives its usage line, e.g.
 * `rdd svc start [--wait] [--timeout duration] [-o, --output text|json] <NAME>`.
 */
import { PassThroughCommands } from "../../src/domain/CommandLine.js"
import { runRdd } from "../support/rdd.js"

export interface Flag {
  readonly name: string
  readonly alias: string | undefined
  /** the pseudo-name after the flag (`text`, `integer`, `duration`, `a | b`); undefined for booleans */
  readonly type: string | undefined
  readonly required: boolean
}

export interface Arg {
  readonly name: string
  readonly optional: boolean
  readonly repeated: boolean
}

export interface CommandInfo {
  /** words after `rdd`, e.g. ["svc", "start"] */
  readonly path: ReadonlyArray<string>
  readonly flags: ReadonlyArray<Flag>
  readonly args: ReadonlyArray<Arg>
  /** true when another command's path extends this one (it only groups subcommands) */
  readonly isGroup: boolean
  readonly usage: string
}

const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, "")

const word = /^[a-z][a-z0-9-]*$/

/** Parses one usage line (the text after `- `), exported for the suite's own test. */
export const parseUsage = (usage: string): Omit<CommandInfo, "isGroup"> => {
  const tokens = usage.split(/\s+/).filter((t) => t !== "")
  const path: Array<string> = []
  for (const t of tokens) {
    if (!word.test(t)) break
    path.push(t)
  }
  const rest = tokens.slice(path.length).join(" ")
  const flags: Array<Flag> = []
  // `[(-o, --output text)]`, `[--wait]`, `--fmt a | b`, `[--timeout duration]`
  const flagRe = /(\[)?\(?(?:-([A-Za-z0-9]), )?--([a-z][a-z0-9-]*)((?: (?![-<[(])[^\s\])]+(?: \| [^\s\])]+)*)?)/g
  for (const m of rest.matchAll(flagRe)) {
    const type = (m[4] ?? "").trim()
    flags.push({ name: m[3]!, alias: m[2], type: type === "" ? undefined : type, required: m[1] === undefined })
  }
  const args: Array<Arg> = []
  // `<ARG>...`, `[<ARG>...]` and `[<ARG>]...` are repeated
  for (const m of rest.matchAll(/(\[)?<([^>]+)>\]?(\.\.\.)?/g)) {
    args.push({ name: m[2]!, optional: m[1] !== undefined, repeated: m[3] !== undefined })
  }
  return { path, flags, args, usage }
}

/** The usage synopsis of a command's help, continuation lines joined, without the leading `rdd`. */
export const usageLine = (help: string): string =>
  (/^Usage:\n((?: {2}.*\n?)+)/m.exec(help)?.[1] ?? "").split("\n").map((l) => l.trim()).filter((l) => l !== "").join(" ")
    .replace(/^rdd /, "")

/** Every command of `rdd`: the paths from the root help, the flags from each command's help. */
export const discover = async (home: string): Promise<ReadonlyArray<CommandInfo>> => {
  // developer mode lists the developer commands (ctl, limavm, yq) too
  const env = { RDD_DEVELOPER_MODE: "true", RDD_LOG_LEVEL: "info" }
  const r = await runRdd(["--help"], { home, env })
  if (r.code !== 0) throw new Error(`rdd --help exited ${r.code}: ${r.stderr}`)
  const text = stripAnsi(r.stdout)
  const section = /^Commands:\n((?: {2}.*\n)+)/m.exec(text)?.[1] ?? ""
  const paths = section.split("\n").flatMap((line) => {
    const m = /^ {2,4}([a-z][a-z0-9 -]*?)(?: \(alias [a-z-]+\))?(?: {2,}|$)/.exec(line)
    return m === null ? [] : [m[1]!.split(" ")]
  })
  const infos: Array<CommandInfo> = []
  for (let i = 0; i < paths.length; i += 4) {
    const batch = await Promise.all(paths.slice(i, i + 4).map(async (path) => {
      const isGroup = paths.some((o) => o.length > path.length && path.every((w, j) => o[j] === w))
      if (isGroup) return { path, flags: [], args: [], usage: path.join(" "), isGroup }
      // a pass-through command hands --help to kubectl (and `ctl` would start a control plane
      // first): its usage is its name and kubectl's words
      if (PassThroughCommands.has(path[0]!)) return { path, flags: [], args: [{ name: "ARGS", optional: false, repeated: true }], usage: path.join(" "), isGroup }
      const h = await runRdd([...path, "--help"], { home, env })
      if (h.code !== 0) throw new Error(`rdd ${path.join(" ")} --help exited ${h.code}: ${h.stderr}`)
      return { ...parseUsage(usageLine(stripAnsi(h.stdout))), isGroup }
    }))
    infos.push(...batch)
  }
  return infos
}
