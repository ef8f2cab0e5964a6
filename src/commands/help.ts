/**
 * rdd's help, rendered from the command definitions in one place. @effect/cli's
 * own help printed every alias as a second tree, usage as `$ start`, lines of
 * 130 columns and its boilerplate ("A user-defined piece of text"); this reads
 * the same descriptors (names, descriptions, flags, arguments) and prints them
 * the way kubectl and limactl do: a description, `Usage:` with the full command
 * path, `Commands:` or `Flags:`, aliases once. Plain text, no escape codes.
 * Pure: works on the descriptor nodes of the tree root.ts builds.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import { Aliases, canonical, GlobalFlags, globalFlagsUsage } from "../domain/CommandLine.js"
import { type Node, nodeChildren, nodeName, nodeOptions } from "./usage.js"

/** Alias spellings (full path) of a canonical command (full path), listed beside it, never as a tree. */

const canonicalOf = canonical

/** Every other spelling of a canonical path (`svc log` -> `svc logs`, `service log`, `service logs`). */
const spellingsOf = (path: ReadonlyArray<string>): ReadonlyArray<string> => {
  let all: Array<ReadonlyArray<string>> = [[]]
  path.forEach((w, i) => {
    const here = path.slice(0, i + 1).join(" ")
    const words = [w, ...Aliases.filter(([, c]) => c === here).map(([alias]) => alias.split(" ").at(-1)!)]
    all = all.flatMap((prefix) => words.map((word) => [...prefix, word]))
  })
  return all.map((p) => p.join(" ")).filter((p) => p !== path.join(" "))
}

const isAlias = (path: ReadonlyArray<string>): boolean => Aliases.some(([a]) => a === path.join(" "))
/** The alias of the command at `path` (canonical), as one word: `service` for `svc`. */
const aliasWord = (path: ReadonlyArray<string>): string | undefined =>
  Aliases.find(([, c]) => c === path.join(" "))?.[0].split(" ").at(-1)

// -- reading the descriptors --

interface Flag {
  readonly name: string
  readonly alias: string | undefined
  /** undefined for booleans */
  readonly value: string | undefined
  readonly description: string
  readonly required: boolean
  readonly repeated: boolean
}
interface Arg {
  readonly name: string
  readonly optional: boolean
  readonly repeated: boolean
}

type Raw = Record<string, unknown> & { readonly _tag?: string }

const text = (doc: unknown): string =>
  doc === undefined ? "" : HelpDoc.toAnsiText(doc as HelpDoc.HelpDoc).replace(/\x1b\[[0-9;]*m/g, "").trim()

const describeNode = (n: Node): string => {
  const raw = n as unknown as Raw
  if (n._tag === "Standard" || n._tag === "GetUserInput") return text(raw["description"])
  if (n.command) return describeNode(n.command)
  if (n.parent) return describeNode(n.parent)
  return ""
}

const argsOf = (n: Node): unknown =>
  n._tag === "Standard" ? (n as unknown as Raw)["args"] : n.command ? argsOf(n.command) : n.parent ? argsOf(n.parent) : undefined

/** Walks an Options or Args tree: Single leaves, with whether they sit under a default or a repetition. */
const singles = (tree: unknown, visit: (single: Raw, optional: boolean, repeated: boolean) => void): void => {
  const walk = (u: unknown, optional: boolean, repeated: boolean, depth: number): void => {
    if (typeof u !== "object" || u === null || depth > 40) return
    const o = u as Raw
    if (o._tag === "Single") return visit(o, optional, repeated)
    const min = o["min"] as { readonly _tag?: string; readonly value?: number } | undefined
    const opt = optional || o._tag === "WithDefault" || o._tag === "WithFallback" ||
      (o._tag === "Variadic" && (min?._tag !== "Some" || min.value === 0))
    const rep = repeated || o._tag === "Variadic"
    for (const key of ["options", "args", "argumentOption", "left", "right"]) if (key in o) walk(o[key], opt, rep, depth + 1)
  }
  walk(tree, false, false, 0)
}

const pseudo = (o: Raw): string | undefined => {
  const p = o["pseudoName"] as { readonly _tag?: string; readonly value?: string } | undefined
  return p?._tag === "Some" ? p.value : undefined
}

const flagsOf = (n: Node): ReadonlyArray<Flag> => {
  const flags: Array<Flag> = []
  singles(nodeOptions(n), (o, optional, repeated) => {
    const bool = (o["primitiveType"] as { readonly _tag?: string } | undefined)?._tag === "Bool"
    const aliases = Array.isArray(o["aliases"]) ? (o["aliases"] as Array<string>) : []
    flags.push({
      name: String(o["name"]),
      alias: aliases[0],
      value: bool ? undefined : pseudo(o) ?? "text",
      description: text(o["description"]),
      required: !optional && !bool,
      repeated
    })
  })
  return flags
}

const argsOfNode = (n: Node): ReadonlyArray<Arg> => {
  const args: Array<Arg> = []
  singles(argsOf(n), (o, optional, repeated) => args.push({ name: pseudo(o) ?? String(o["name"]).replace(/^<|>$/g, ""), optional, repeated }))
  return args
}

// -- rendering --

/** Fills lines up to `width` with `tokens`; the first line starts with `first`, the others with `next`. */
const fill = (tokens: ReadonlyArray<string>, width: number, first: string, next: string): Array<string> => {
  const out: Array<string> = []
  let current = first
  let empty = true
  for (const t of tokens) {
    if (!empty && current.length + 1 + t.length > width) {
      out.push(current)
      current = next + t
    } else current = empty ? current + t : `${current} ${t}`
    empty = false
  }
  out.push(current)
  return out
}

const words = (text: string): ReadonlyArray<string> => text.split(/ +/).filter((w) => w !== "")

/** Wraps a paragraph at spaces (a line that fits, such as a table row, is kept as it is). */
const wrap = (line: string, width: number): Array<string> => (line.length <= width ? [line] : fill(words(line), width, "", ""))

/** Two columns: names, then descriptions wrapped under their own column. */
const columns = (rows: ReadonlyArray<readonly [string, string]>, width: number): Array<string> => {
  const left = Math.min(30, Math.max(...rows.map(([l]) => l.length)) + 2)
  return rows.flatMap(([l, r]) => {
    const pad = " ".repeat(left)
    if (l.length + 2 > left) return [l, ...fill(words(r), width, pad, pad)]
    return fill(words(r), width, l.padEnd(left), pad)
  })
}

const flagUsage = (f: Flag): string => {
  const name = f.alias === undefined ? `--${f.name}` : `-${f.alias}, --${f.name}`
  const body = f.value === undefined ? name : `${name} ${f.value}${f.repeated ? "..." : ""}`
  return f.required ? body : `[${body}]`
}
const argUsage = (g: Arg): string => `${g.optional ? `[<${g.name}>]` : `<${g.name}>`}${g.repeated ? "..." : ""}`

const paragraphs = (description: string, width: number): Array<string> =>
  description.split("\n").flatMap((l) => wrap(l, width))

const GlobalFlagRows: ReadonlyArray<readonly [string, string]> = [
  ...GlobalFlags.map((f) => [`--${f.name} ${f.value}`, f.description] as const),
  ["-h, --help", "Show help for rdd or a command"],
  ["--version", "Print the version of rdd"]
]

/**
 * The help of the command at `path` (words after `rdd`, aliases allowed) in the tree `root`.
 * `hidden`: top-level commands the command list leaves out (the developer commands
 * outside developer mode); they still run, and their own help still shows.
 */
export const render = (root: Node, path: ReadonlyArray<string>, width: number, hidden: ReadonlySet<string> = new Set()): string => {
  let node = root
  for (const w of path) node = nodeChildren(node).find((c) => nodeName(c) === w) ?? node
  const canonical = canonicalOf(path)
  const full = ["rdd", ...canonical].join(" ")
  const children = nodeChildren(node).filter((c) => !isAlias([...path, nodeName(c)]))
  const lines: Array<string> = [...paragraphs(describeNode(node), width), ""]
  if (path.length === 0) {
    lines.push("Usage:", `  rdd ${globalFlagsUsage(true)} COMMAND [flags]`, "")
    const rows: Array<readonly [string, string]> = []
    const left = children.filter((c) => hidden.has(nodeName(c)))
    for (const c of children.filter((c) => !hidden.has(nodeName(c)))) {
      const p = [nodeName(c)]
      const alias = aliasWord(p)
      rows.push([`  ${p[0]}${alias === undefined ? "" : ` (alias ${alias})`}`, describeNode(c)])
      for (const g of nodeChildren(c).filter((g) => !isAlias([...p, nodeName(g)]))) {
        const sub = [...p, nodeName(g)]
        const subAlias = aliasWord(sub)
        rows.push([`    ${sub.join(" ")}${subAlias === undefined ? "" : ` (alias ${subAlias})`}`, describeNode(g)])
      }
    }
    lines.push("Commands:", ...columns(rows, width), "")
    if (left.length > 0) {
      const names = left.map(nodeName).filter((n) => !isAlias([n]))
      lines.push(...wrap(`Developer commands (${names.join(", ")}) run but are not listed; RDD_DEVELOPER_MODE=1 lists them.`, width), "")
    }
    lines.push("Global flags (before the command):", ...columns(GlobalFlagRows.map(([l, r]) => [`  ${l}`, r]), width), "")
    lines.push(`Run "rdd COMMAND --help" for a command's flags and arguments.`)
    return lines.join("\n")
  }
  if (children.length > 0) {
    lines.push("Usage:", `  ${full} COMMAND [flags]`, "", "Commands:")
    lines.push(...columns(children.map((c) => {
      const alias = aliasWord([...canonical, nodeName(c)])
      return [`  ${nodeName(c)}${alias === undefined ? "" : ` (alias ${alias})`}`, describeNode(c)] as const
    }), width))
  } else {
    const flags = flagsOf(node)
    lines.push("Usage:", ...fill([full, ...flags.map(flagUsage), ...argsOfNode(node).map(argUsage)], width, "  ", "      "))
    if (flags.length > 0) {
      lines.push("", "Flags:", ...columns(flags.map((f) => [`  ${flagUsage({ ...f, required: true, repeated: false })}`, f.description]), width))
    }
  }
  const others = spellingsOf(canonical)
  if (others.length > 0) lines.push("", "Aliases:", ...others.map((o) => `  rdd ${o}`))
  lines.push("", `Global flags: ${globalFlagsUsage(false)} (see "rdd --help").`)
  return lines.join("\n")
}

/** Whether the command line asks for help: nothing at all, or -h/--help before any `--`. */
export const wants = (parsed: ReadonlyArray<string>, all: ReadonlyArray<string>): boolean =>
  all.length === 0 || parsed.some((w) => w === "--help" || w === "-h")
