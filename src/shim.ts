/**
 * bin/rdd.mjs, the package's bin: bundled on its own (scripts/build.mjs), with the
 * build it starts named in it. `rdd --version` is answered here, in this one module
 * (SPEC 6: it must cost little more than starting Node; every further module Node
 * resolves, reads and links costs a few percent of that); everything else loads the
 * build's main.js, except a `rdd ctl` that src/ctlOnReady.ts (the build's ctl.js) runs.
 *
 * Multicall as in main.ts: through a symlink named `kubectl` or `yq`, `--version`
 * is theirs, so it goes to main.js.
 */
import * as Version from "./domain/Version.js"

const invokedAs = (process.argv[1] ?? "").split("/").pop()?.split(".")[0]
const word = process.argv.length === 3 && invokedAs !== "kubectl" && invokedAs !== "yq" ? process.argv[2]! : undefined
const text = word === undefined ? undefined : Version.forFlag(word, { nodeVersion: process.version, platform: process.platform, arch: process.arch })
// `rdd ctl` on a ready control plane runs kubectl from the build's ctl.js (src/ctlOnReady.ts),
// without loading Effect; any other command line, or a ctl it does not take, loads main.js.
// (both defined by the build as "./builds/<id>/….js", and left to Node to load)
const ranCtl = async (): Promise<boolean> =>
  invokedAs !== "kubectl" && invokedAs !== "yq" && process.argv.includes("ctl") &&
  (await import(process.env["RDD_BUILD_CTL"]!) as { run: (args: ReadonlyArray<string>) => Promise<boolean> }).run(process.argv.slice(2))
if (text !== undefined) process.stdout.write(`${text}\n`)
else if (!(await ranCtl())) await import(process.env["RDD_BUILD_MAIN"]!)
