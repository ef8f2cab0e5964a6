/**
 * Entry point of the bundle. `rdd --version` is answered before the CLI framework
 * is even loaded (SPEC 6: it must cost little more than starting Node); everything
 * else goes through the full command line in cli.ts.
 *
 * Multicall is decided here, once: invoked through a symlink named `kubectl` or `yq`
 * (its basename cut at the first dot, so `kubectl.exe` too), rdd runs `rdd kubectl ...`
 * or `rdd yq ...`, and `--version` is then theirs. (Inline rather than imported: a second module
 * in this chunk makes esbuild load its runtime-helper chunk for `--version` too.)
 */
const invokedAs = (process.argv[1] ?? "").split("/").pop()?.split(".")[0]
const args = invokedAs === "kubectl" || invokedAs === "yq" ? [invokedAs, ...process.argv.slice(2)] : process.argv.slice(2)
if (args.length === 1 && /^--version(=|$)/.test(args[0]!)) {
  const Version = await import("./domain/Version.js")
  process.stdout.write(`${Version.forFlag(args[0]!, { nodeVersion: process.version, platform: process.platform, arch: process.arch })}\n`)
} else {
  const { run } = await import("./cli.js")
  run(args)
}
