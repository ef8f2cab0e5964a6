/**
 * `svc serve` takes repeated `--controllers` / `--secure-port` (the spawner appends
 * session flags after the saved ones; the last occurrence wins). @effect/cli's
 * repeated options only accept the `--flag value` form, so for `svc serve` the
 * `--flag=value` form is split before parsing.
 */
const repeatedFlags = ["--controllers", "--secure-port"]

const isServe = (args: ReadonlyArray<string>): boolean =>
  args.some((a, i) => (a === "svc" || a === "service") && args[i + 1] === "serve")

export const normalize = (args: ReadonlyArray<string>): ReadonlyArray<string> => {
  if (!isServe(args)) return args
  return args.flatMap((a) => {
    const eq = a.indexOf("=")
    if (eq < 0) return [a]
    const flag = a.slice(0, eq)
    return repeatedFlags.includes(flag) ? [flag, a.slice(eq + 1)] : [a]
  })
}
