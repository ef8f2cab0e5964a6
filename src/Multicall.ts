/**
 * Multicall: invoked through a symlink named `kubectl` (its basename cut at the
 * first dot, so `kubectl.exe` too), rdd runs `rdd kubectl ...`. Decided once, in
 * main.ts, before anything else reads the command line; imported by nothing else,
 * so it stays in the entry chunk that `--version` loads.
 */
export const commandLine = (argv: ReadonlyArray<string>): ReadonlyArray<string> => {
  const invokedAs = (argv[1] ?? "").split("/").pop()?.split(".")[0]
  return invokedAs === "kubectl" ? ["kubectl", ...argv.slice(2)] : argv.slice(2)
}
