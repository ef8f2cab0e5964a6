/**
 * Entry point of the bundle. `rdd --version` is answered before the CLI framework
 * is even loaded (SPEC 6: it must cost little more than starting Node); everything
 * else goes through the full command line in cli.ts.
 */
const args = process.argv.slice(2)
// (not when invoked as `kubectl` or `yq`: multicall hands that to them, see cli.ts)
const invokedAs = (process.argv[1] ?? "").split("/").pop()?.split(".")[0]
if (args.length === 1 && /^--version(=|$)/.test(args[0]!) && invokedAs !== "kubectl" && invokedAs !== "yq") {
  const Version = await import("./domain/Version.js")
  process.stdout.write(`${Version.forFlag(args[0]!, { nodeVersion: process.version, platform: process.platform, arch: process.arch })}\n`)
} else {
  const { run } = await import("./cli.js")
  run(process.argv)
}
