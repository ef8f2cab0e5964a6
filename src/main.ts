/**
 * Entry point of the bundle. `rdd --version` is answered before the CLI framework
 * is even loaded (SPEC 6: it must cost little more than starting Node); everything
 * else goes through the full command line in cli.ts.
 */
import { commandLine } from "./Multicall.js"

// (invoked as `kubectl`, the words are kubectl's: `--version` is not rdd's then)
const args = commandLine(process.argv)
if (args.length === 1 && /^--version(=|$)/.test(args[0]!)) {
  const Version = await import("./domain/Version.js")
  process.stdout.write(`${Version.forFlag(args[0]!, { nodeVersion: process.version, platform: process.platform, arch: process.arch })}\n`)
} else {
  const { run } = await import("./cli.js")
  run(args)
}
