/**
 * Command-line rewrites before @effect/cli parses, for what its parser cannot say.
 *
 * `--controllers=` / `--controllers ""` (only the builtin controllers): @effect/cli
 * drops an empty value (a repeated option loses it, an optional one may take the
 * next flag for it), so the empty value travels as `EmptyValue` and the option
 * turns it back into "" (`restoreEmpty`).
 *
 * `svc serve` takes repeated `--controllers` / `--secure-port` / `-v` (the spawner appends
 * session flags after the saved ones; the last occurrence wins). @effect/cli's
 * repeated options only accept the `--flag value` form, so for `svc serve` the
 * `--flag=value` form is split before parsing.
 */
import { namesServe } from "../../domain/CommandLine.js"

const repeatedFlags = ["--controllers", "--secure-port"]

/**
 * `rdd --controllers='*' svc start`: cobra finds the command first and then parses
 * every flag of it wherever it stands, so the Go tool took a command's flag before
 * the command words too. These two (the settings flags) are moved after them.
 */
export const settingsFlagsAfterCommand = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const moved: Array<string> = []
  const rest: Array<string> = []
  let i = 0
  for (; i < args.length && args[i]!.startsWith("-") && args[i] !== "--"; i++) {
    const a = args[i]!
    if (repeatedFlags.some((f) => a.startsWith(`${f}=`))) moved.push(a)
    else if (repeatedFlags.includes(a) && i + 1 < args.length) moved.push(a, args[++i]!)
    else rest.push(a)
  }
  if (moved.length === 0) return args
  const tail = args.slice(i)
  const words = tail.findIndex((a) => a.startsWith("-"))
  const end = words < 0 ? tail.length : words
  return [...rest, ...tail.slice(0, end), ...moved, ...tail.slice(end)]
}

/** Stands for the empty `--controllers` value inside the parser; never seen outside it. */
const EmptyValue = "\u0000empty"

export const restoreEmpty = (value: string): string => (value === EmptyValue ? "" : value)

const markEmpty = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  const end = args.indexOf("--")
  return args.flatMap((a, i) => {
    if (end >= 0 && i >= end) return [a]
    if (a === "--controllers=") return ["--controllers", EmptyValue]
    return a === "" && args[i - 1] === "--controllers" ? [EmptyValue] : [a]
  })
}

export const normalize = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const args = markEmpty(argv)
  if (!namesServe(args)) return args
  return args.flatMap((a) => {
    // klog spells its verbosity -v, --v, -v=N and --v=N
    if (a === "--v") return ["-v"]
    const eq = a.indexOf("=")
    if (eq < 0) return [a]
    const flag = a.slice(0, eq)
    if (flag === "-v" || flag === "--v") return ["-v", a.slice(eq + 1)]
    return repeatedFlags.includes(flag) ? [flag, a.slice(eq + 1)] : [a]
  })
}

/**
 * `svc serve`'s klog `-v` (the last one wins; domain/Verbosity.ts), read before
 * @effect/cli parses so that the daemon's logger has its level from the first line.
 */
export const verbosity = (argv: ReadonlyArray<string>): number | undefined => {
  const args = normalize(argv)
  if (!namesServe(args)) return undefined
  let found: number | undefined
  args.forEach((a, i) => {
    const next = args[i + 1]
    if (a === "-v" && next !== undefined && /^[0-9]{1,3}$/.test(next)) found = Number(next)
  })
  return found
}
