/**
 * The command lines that run without @effect/cli (SPEC 6: start-up time). Building
 * its command tree, parsing with it and loading it (with Schema, its help and
 * prompt machinery) cost more than the whole of `rdd svc status` otherwise does, so
 * the commands people type most are recognised here in their plain forms and run
 * their handler directly. Only forms whose meaning is certain are taken: one
 * `-o X` / `--output X` / `--output=X` with a valid X, a valid `svc paths` KEY, the
 * words of `ctl` (already behind the `--` that cli.ts puts there). Anything else —
 * help, a bad value, a repeated flag, an alias of a flag, the ctl wait-condition
 * subcommand — is `undefined` and goes through @effect/cli as before, so usage
 * errors and help stay exactly what they were.
 */
import { canonical, OutputFormats } from "./CommandLine.js"
import { type PathKey, PathKeys } from "./Instance.js"

export type Direct =
  | { readonly command: "svc status"; readonly output: (typeof OutputFormats.svcStatus)[number] }
  | { readonly command: "svc paths"; readonly key: PathKey | undefined; readonly output: (typeof OutputFormats.svcPaths)[number] }
  | { readonly command: "ctl"; readonly args: ReadonlyArray<string> }

/** `ctl wait-condition` is rdd's own subcommand of ctl (commands/ctl-wait-condition.ts). */
const CtlOwnSubcommand = "wait-condition"

/** The output flag and the other words, or undefined when the words are not that plain. */
const splitOutput = <F extends string>(
  words: ReadonlyArray<string>,
  formats: ReadonlyArray<F>
): { readonly output: F | undefined; readonly others: ReadonlyArray<string> } | undefined => {
  let output: F | undefined
  const others: Array<string> = []
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!
    let value: string | undefined
    if (w === "-o" || w === "--output") value = words[++i]
    else if (w.startsWith("--output=")) value = w.slice("--output=".length)
    else if (w.startsWith("-")) return undefined
    else {
      others.push(w)
      continue
    }
    if (output !== undefined || value === undefined || !(formats as ReadonlyArray<string>).includes(value)) return undefined
    output = value as F
  }
  return { output, others }
}

/** What `rest` (the words after the global flags) runs directly, if it is one of the plain forms. */
export const match = (rest: ReadonlyArray<string>): Direct | undefined => {
  if (rest[0] === "ctl") {
    if (rest[1] !== "--" || rest[2] === CtlOwnSubcommand) return undefined
    return { command: "ctl", args: rest.slice(2) }
  }
  const [group, verb] = canonical(rest.slice(0, 1))[0] === "svc" ? ["svc", rest[1]] : [undefined, undefined]
  if (group === undefined) return undefined
  if (verb === "status") {
    const s = splitOutput(rest.slice(2), OutputFormats.svcStatus)
    return s === undefined || s.others.length > 0 ? undefined : { command: "svc status", output: s.output ?? OutputFormats.svcStatus[0] }
  }
  if (verb === "paths") {
    const s = splitOutput(rest.slice(2), OutputFormats.svcPaths)
    if (s === undefined || s.others.length > 1) return undefined
    const key = s.others[0]
    if (key !== undefined && !(PathKeys as ReadonlyArray<string>).includes(key)) return undefined
    return { command: "svc paths", key: key as PathKey | undefined, output: s.output ?? OutputFormats.svcPaths[0] }
  }
  return undefined
}
