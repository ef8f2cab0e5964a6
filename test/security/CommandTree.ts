/**
 * The command tree of the built CLI, read from `rdd --help` the way a user sees
 * it, so that the bad-input suite covers every command and flag that exists,
 * including the ones added after the suite was written. @effect/cli lists every
 * command with its usage in the root help, e.g.
 * `- svc start [--wait] [--timeout duration] [--secure-port integer] <NAME>`.
 */
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
  for (const m of rest.matchAll(/(\[)?<([^>]+)>(\.\.\.)?/g)) {
    args.push({ name: m[2]!, optional: m[1] !== undefined, repeated: m[3] !== undefined })
  }
  return { path, flags, args, usage }
}

/** Every command of `rdd`, from its root help. */
export const discover = async (home: string): Promise<ReadonlyArray<CommandInfo>> => {
  const r = await runRdd(["--help"], { home })
  if (r.code !== 0) throw new Error(`rdd --help exited ${r.code}: ${r.stderr}`)
  const text = stripAnsi(r.stdout)
  const section = text.split(/\n(?=[A-Z]+\n)/).find((s) => s.startsWith("COMMANDS")) ?? ""
  const parsed = section.split("\n").flatMap((line) => {
    const m = /^\s+- (.+?)(?:\s{2,}.*)?$/.exec(line)
    return m === null ? [] : [parseUsage(m[1]!)]
  })
  return parsed.map((c) => ({
    ...c,
    isGroup: parsed.some((o) => o.path.length > c.path.length && c.path.every((w, i) => o.path[i] === w))
  }))
}
