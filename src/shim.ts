/**
 * bin/rdd.mjs, the package's bin: bundled on its own (scripts/build.mjs), with the
 * build it starts named in it. `rdd --version` is answered here, in this one module
 * (SPEC 6: it must cost little more than starting Node; every further module Node
 * resolves, reads and links costs a few percent of that); everything else loads the
 * build's main.js, except what the build's plain.js runs (src/plain/).
 *
 * Multicall as in main.ts: through a symlink named `kubectl` or `yq`, `--version`
 * is theirs, so it goes to main.js.
 */
import * as Version from "./domain/Version.js"

const invokedAs = (process.argv[1] ?? "").split("/").pop()?.split(".")[0]
const word = process.argv.length === 3 && invokedAs !== "kubectl" && invokedAs !== "yq" ? process.argv[2]! : undefined
const text = word === undefined ? undefined : Version.forFlag(word, { nodeVersion: process.version, platform: process.platform, arch: process.arch })
// `rdd ctl` on a ready control plane, a plain `rdd svc status` and `rdd svc paths` run from the build's plain.js
// (src/plain/), without loading Effect; any other command line, or one plain.js leaves
// to the full path, loads main.js. (Both named by the build as "./builds/<id>/….js", left to Node to load.)
const ranPlain = async (): Promise<boolean> =>
  invokedAs !== "kubectl" && invokedAs !== "yq" && (process.argv.includes("ctl") || process.argv.includes("status") || process.argv.includes("paths")) &&
  (await import(process.env["RDD_BUILD_PLAIN"]!) as { run: (args: ReadonlyArray<string>) => Promise<boolean> }).run(process.argv.slice(2))
if (text !== undefined) process.stdout.write(`${text}\n`)
else if (!(await ranPlain())) await import(process.env["RDD_BUILD_MAIN"]!)
