/**
 * Usage errors in rdd's words. @effect/cli's own messages often miss the point
 * ("Invalid subcommand for rdd" for a misplaced flag, "'abc' is not a integer"
 * without the flag, a bad boolean value reported as an unknown argument), so the
 * command line and the command tree are read again here to name the flag, value
 * or word that is wrong (SPEC 1.1: a usage error names the flag and the form).
 * Pure: works on argv and @effect/cli's descriptor nodes.
 */
import * as HelpDoc from "@effect/cli/HelpDoc"
import type * as ValidationError from "@effect/cli/ValidationError"

// Descriptor nodes: Standard | GetUserInput | Map | Subcommands. (CommandDescriptor.
// getSubcommands flattens children to their parents, so the walk reads the nodes.)
export interface Node {
  readonly _tag: string
  readonly name?: string
  readonly command?: Node
  readonly parent?: Node
  readonly children?: ReadonlyArray<Node>
  readonly options?: unknown
}
export const nodeName = (n: Node): string => n.name ?? (n.command ? nodeName(n.command) : n.parent ? nodeName(n.parent) : "")
export const nodeChildren = (n: Node): ReadonlyArray<Node> =>
  n._tag === "Subcommands" ? n.children ?? [] : n._tag === "Map" && n.command ? nodeChildren(n.command) : []
export const nodeOptions = (n: Node): unknown =>
  n._tag === "Standard" ? n.options : n.command ? nodeOptions(n.command) : n.parent ? nodeOptions(n.parent) : undefined

/** Every option name (and alias) reachable in an @effect/cli Options tree; `booleans` only boolean flags. */
const optionNames = (options: unknown, booleansOnly = false): ReadonlySet<string> => {
  const names = new Set<string>()
  const seen = new Set<unknown>()
  const visit = (u: unknown, depth: number): void => {
    if (typeof u !== "object" || u === null || seen.has(u) || depth > 30) return
    seen.add(u)
    const o = u as { readonly _tag?: unknown; readonly name?: unknown; readonly aliases?: unknown; readonly primitiveType?: { readonly _tag?: unknown } }
    if (o._tag === "Single" && typeof o.name === "string" && (!booleansOnly || o.primitiveType?._tag === "Bool")) {
      names.add(o.name)
      if (Array.isArray(o.aliases)) for (const a of o.aliases) if (typeof a === "string") names.add(a)
    }
    for (const v of Object.values(u)) visit(v, depth + 1)
  }
  visit(options, 0)
  return names
}

// Only the spellings the docs list (user guide, "Waiting"): @effect/cli would also take
// yes/no, on/off, 1/0, y/n, which the Go tool and the docs never promised.
const booleanWords: ReadonlySet<string> = new Set(["true", "false"])

/**
 * `--bool=value` with a value that is not a boolean. @effect/cli would report a stray
 * argument, or for some commands take the flag as set and drop the value: checked
 * before parsing so such a command line never runs.
 */
export const badBooleanValue = (tree: { readonly descriptor: unknown }, rest: ReadonlyArray<string>): string | undefined => {
  const { node } = locate(tree.descriptor as Node, rest)
  const booleans = optionNames(nodeOptions(node), true)
  for (const w of parsedPart(rest)) {
    const m = /^--([A-Za-z][\w-]*)=(.*)$/s.exec(w)
    if (m !== null && booleans.has(m[1]!) && !booleanWords.has(m[2]!)) {
      return `invalid value ${JSON.stringify(m[2])} for --${m[1]}: expected true or false`
    }
  }
  return undefined
}

/** Flags every command accepts through @effect/cli's built-ins. */
const builtIns: ReadonlySet<string> = new Set(["help", "h", "version", "completions", "wizard"])

const flagName = (token: string): string => token.replace(/^--?/, "").replace(/=.*$/s, "")

/** The words before `--`: what @effect/cli parsed. */
export const parsedPart = (rest: ReadonlyArray<string>): ReadonlyArray<string> => {
  const end = rest.indexOf("--")
  return end < 0 ? rest : rest.slice(0, end)
}

/** Finds the command the words reach: its path and node. */
export const locate = (tree: Node, rest: ReadonlyArray<string>): { readonly path: ReadonlyArray<string>; readonly node: Node; readonly stop: string | undefined } => {
  let node = tree
  const path = ["rdd"]
  for (const token of parsedPart(rest)) {
    const children = nodeChildren(node)
    if (token.startsWith("-") || children.length === 0) return { path, node, stop: token }
    const next = children.find((c) => nodeName(c) === token)
    if (next === undefined) return { path, node, stop: token }
    path.push(token)
    node = next
  }
  return { path, node, stop: undefined }
}

/** An unknown or misplaced command word, or a flag where a subcommand must come. */
const explainMismatch = (tree: Node, rest: ReadonlyArray<string>): string | undefined => {
  const { node, path, stop } = locate(tree, rest)
  const children = nodeChildren(node)
  if (stop === undefined || children.length === 0) return undefined
  const valid = children.map(nodeName).sort().join(", ")
  if (stop.startsWith("-")) {
    return path.length === 1
      ? `unknown flag: ${stop}`
      : `unknown flag ${stop} for ${JSON.stringify(path.join(" "))}; expected one of its commands: ${valid}`
  }
  return `unknown command ${JSON.stringify(stop)} for ${JSON.stringify(path.join(" "))}; valid commands: ${valid}`
}

/** The flag a value was given to, as `--name=value` or `--name value`. */
const flagOfValue = (rest: ReadonlyArray<string>, value: string): string | undefined => {
  const words = parsedPart(rest)
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (!w.startsWith("-")) continue
    if (w.includes("=") && w.slice(w.indexOf("=") + 1) === value) return w.slice(0, w.indexOf("="))
    if (!w.includes("=") && words[i + 1] === value) return w
  }
  return undefined
}

const plain = (e: ValidationError.ValidationError): string =>
  HelpDoc.toAnsiText(e.error).replace(/\x1b\[[0-9;]*m/g, "").trim().replace(/\s*\n\s*/g, "; ")

/** Whether the command line asks for `--output json` (also `--output=json`, `-o json`). */
export const wantsJson = (rest: ReadonlyArray<string>): boolean => {
  const words = parsedPart(rest)
  return words.some((w, i) => w === "--output=json" || ((w === "--output" || w === "-o") && words[i + 1] === "json"))
}

/**
 * A word that looks like a flag the command does not have. @effect/cli takes such
 * a word for a positional argument when one is still missing, so `rdd limavm
 * delete --no-such-flag` deleted a LimaVM named "--no-such-flag" (after starting a
 * control plane to do it): checked before parsing so such a command line never runs.
 * The value of a known flag given as a separate word (`--timeout -5s`) is skipped.
 */
export const unknownFlag = (tree: { readonly descriptor: unknown }, rest: ReadonlyArray<string>): string | undefined => {
  const { node, path } = locate(tree.descriptor as Node, rest)
  if (nodeChildren(node).length > 0) return undefined
  const known = optionNames(nodeOptions(node))
  const booleans = optionNames(nodeOptions(node), true)
  const words = parsedPart(rest).slice(path.length - 1)
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    if (!w.startsWith("-") || w === "-") continue
    const name = flagName(w)
    if (builtIns.has(name)) continue
    if (!known.has(name)) return `unknown flag ${w.replace(/=.*$/s, "")} for ${JSON.stringify(path.join(" "))}`
    if (!w.includes("=") && !booleans.has(name)) {
      // a command with repeated arguments would otherwise take the bare flag for one of them
      if (i + 1 >= words.length) return `flag ${w} needs a value (${w} <value> or ${w}=<value>)`
      i++
    }
  }
  return undefined
}

/** Flags for which an empty value means something: `--controllers=` is "only the builtin controllers". */
const emptyAllowed: ReadonlySet<string> = new Set(["--controllers="])

/** An empty `--flag=` is otherwise never meant: @effect/cli would take it for an argument. */
export const emptyFlagValue = (rest: ReadonlyArray<string>): string | undefined => {
  const bad = parsedPart(rest).find((w) => /^--[A-Za-z][\w-]*=$/.test(w) && !emptyAllowed.has(w))
  return bad === undefined ? undefined : `flag ${bad.slice(0, -1)} needs a value (${bad}<value>)`
}

/** The one-line message for a usage error of the command line `rest` (global flags removed). */
export const explain = (tree: { readonly descriptor: unknown }, rest: ReadonlyArray<string>, e: ValidationError.ValidationError): string => {
  const root = tree.descriptor as Node
  if (e._tag === "CommandMismatch") {
    const m = explainMismatch(root, rest)
    if (m !== undefined) return m
  }
  const text = plain(e)
  const { node, path } = locate(root, rest)
  const known = optionNames(nodeOptions(node))
  const unknownFlag = parsedPart(rest).find((w) => w.startsWith("-") && w !== "-" && !known.has(flagName(w)) && !builtIns.has(flagName(w)))
  const unknownArg = /^Received unknown argument: '(.*)'$/s.exec(text)?.[1]
  if (unknownArg !== undefined) {
    const owner = flagOfValue(rest, unknownArg)
    // @effect/cli splits `--bool=x` into the flag and a stray argument x
    if (owner !== undefined && owner.includes("--") && known.has(flagName(owner))) {
      return `invalid value ${JSON.stringify(unknownArg)} for ${owner}: expected true or false`
    }
  }
  if (unknownFlag !== undefined && nodeChildren(node).length === 0) {
    // `--timeout -5s`: the parser reads a value that starts with "-" as a flag
    const words = parsedPart(rest)
    const before = words[words.indexOf(unknownFlag) - 1]
    const booleans = optionNames(nodeOptions(node), true)
    if (before !== undefined && /^--?[A-Za-z][\w-]*$/.test(before) && known.has(flagName(before)) && !booleans.has(flagName(before))) {
      return `flag ${before} needs a value; to give one that starts with "-", write ${before}=${unknownFlag}`
    }
    return `unknown flag ${unknownFlag.replace(/=.*$/s, "")} for ${JSON.stringify(path.join(" "))}`
  }
  if (unknownArg !== undefined) return `unexpected argument ${JSON.stringify(unknownArg)} for ${JSON.stringify(path.join(" "))}`
  const missing = /^Missing argument <(.+)>$/s.exec(text)?.[1]
  if (missing !== undefined) return `missing argument ${missing} for ${JSON.stringify(path.join(" "))}`
  const notA = /^'(.*)' is not an? (\w+)/s.exec(text)
  if (notA !== null) {
    const owner = flagOfValue(rest, notA[1]!)
    const what = notA[2] === "integer" ? "an integer" : `a ${notA[2]}`
    if (owner !== undefined) return `invalid value ${JSON.stringify(notA[1])} for ${owner}: expected ${what}`
  }
  return text
}
