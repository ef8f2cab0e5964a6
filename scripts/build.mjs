// Bundles the CLI into one ESM file (bin/rdd.mjs) plus lazily loaded chunks.
// One bundle is the main lever for start-up time on Node 20 (no compile cache;
// Node 22's is measured in docs/node22.md):
// `rdd --version` and `rdd svc status` must not parse the daemon, SQLite or the
// Kubernetes client, which therefore live behind dynamic imports (own chunks).
//
// Each build goes to its own directory under bin/builds/ and the bin shim names
// it; the shim is swapped atomically by rename: a rebuild never pulls files from
// under a running CLI or daemon (a process keeps loading its lazy chunks from
// the build it started with).
//
// The shim names its build directly (no `bin/chunks` symlink) because npm pack
// leaves symlinks out: the package's `files` takes bin/builds/, and the
// bin/builds/.npmignore written here keeps every build but the shim's out of it.
import * as esbuild from "esbuild"
import { execSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"

// `npm pack` runs prepack and then prepare: prepack has just built, so the
// second build is skipped (`npm ci` and a git install still build in prepare).
if (process.env.npm_lifecycle_event === "prepare" && process.env.npm_command === "pack") process.exit(0)

const commit = (() => {
  try { return execSync("git rev-parse --short HEAD", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim() }
  catch { return "unknown" }
})()
// the commit's date rather than the wall clock, so that a rebuild of one commit is identical
const buildDate = (() => {
  try { return execSync("git log -1 --format=%cI", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim() }
  catch { return "unknown" }
})()
const version = JSON.parse(fs.readFileSync("package.json", "utf8")).version

/**
 * Every module loaded by a dynamic import of ours is made to import src/cli.ts too
 * (cli.ts has always run by then: main.ts loads it first). esbuild puts a module in
 * a chunk per set of entry points that reach it, so without this the modules every
 * command loads are spread over some twenty chunks, cut by which lazy command also
 * uses them; with it they are all reached by every entry and form one chunk. Node
 * then resolves, reads and links a few files at start-up instead of some twenty
 * (measured side by side: the same code as one file loads in about 0.2x `node -e 0`
 * less). The import adds no code: cli.ts only defines functions.
 */
const cliPath = path.resolve("src/cli.ts")
const lazyTargets = new Set()
for (const file of fs.readdirSync("src", { recursive: true })) {
  if (!String(file).endsWith(".ts")) continue
  const from = path.join("src", String(file))
  for (const m of fs.readFileSync(from, "utf8").matchAll(/import\("(\.[^"]+)\.js"\)/g)) {
    lazyTargets.add(path.resolve(path.dirname(from), `${m[1]}.ts`))
  }
}
lazyTargets.delete(cliPath)
const oneStartupChunk = {
  name: "one-start-up-chunk",
  setup(build) {
    build.onLoad({ filter: /\/src\/.*\.ts$/ }, (args) => {
      if (!lazyTargets.has(args.path)) return undefined
      const text = fs.readFileSync(args.path, "utf8")
      return { contents: `${text}\nimport ${JSON.stringify(cliPath)}\n`, loader: "ts" }
    })
  }
}

const id = `${Date.now()}-${process.pid}`
// what every bundle of a build shares: one ESM file per entry for the Node versions in `engines`
const bundled = { bundle: true, format: "esm", platform: "node", target: "node20", minify: true, legalComments: "none", logLevel: "warning" }
const outdir = `bin/builds/${id}`
await esbuild.build({
  entryPoints: { main: "src/main.ts" },
  outdir,
  ...bundled,
  splitting: true,
  sourcemap: false,
  external: ["better-sqlite3"],
  plugins: [oneStartupChunk],
  define: {
    "process.env.RDD_BUILD_VERSION": JSON.stringify(`v${version}`),
    "process.env.RDD_BUILD_COMMIT": JSON.stringify(commit),
    "process.env.RDD_BUILD_DATE": JSON.stringify(buildDate)
  },
  banner: { js: "import { createRequire as __rddCreateRequire } from 'node:module'; const require = __rddCreateRequire(import.meta.url);" }
})

// The plain paths (src/plain/: `rdd ctl` on a ready control plane, a plain `svc
// status`) are a bundle of their own, plain.js, loaded by the shim: no Effect runtime in it,
// and none of the main build's chunks (one file to read; the few domain modules it shares
// with main.js are small).
await esbuild.build({
  entryPoints: { plain: "src/plain/index.ts" },
  outdir,
  ...bundled
})

// The bin is a small shim (src/shim.ts, one module: it answers `--version` itself)
// so that `npx rdd`, a symlink named kubectl, and the daemon re-exec all resolve
// to the same file; it names its build's main.js.
const main = `./builds/${id}/main.js`
const plain = `./builds/${id}/plain.js`
await esbuild.build({
  entryPoints: ["src/shim.ts"],
  outfile: `bin/rdd.mjs.${id}`,
  ...bundled,
  external: ["./builds/*"],
  define: {
    "process.env.RDD_BUILD_MAIN": JSON.stringify(main),
    "process.env.RDD_BUILD_PLAIN": JSON.stringify(plain),
    "process.env.RDD_BUILD_VERSION": JSON.stringify(`v${version}`),
    "process.env.RDD_BUILD_COMMIT": JSON.stringify(commit),
    "process.env.RDD_BUILD_DATE": JSON.stringify(buildDate)
  },
  banner: { js: "#!/usr/bin/env node" }
})
fs.chmodSync(`bin/rdd.mjs.${id}`, 0o755)
fs.renameSync(`bin/rdd.mjs.${id}`, "bin/rdd.mjs")
// what npm pack takes from bin/builds/: the shim's build only
fs.writeFileSync(`bin/builds/.npmignore.${id}`, `# written by scripts/build.mjs: the package holds the build bin/rdd.mjs names\n/*\n!/${id}/\n`)
fs.renameSync(`bin/builds/.npmignore.${id}`, "bin/builds/.npmignore")
// the layouts before this one: bin/chunks as a directory, then as a symlink to a build
// (processes started through the symlink resolved it, so removing it takes nothing from them)
fs.rmSync("bin/chunks", { recursive: true, force: true })

// Keep recent builds for processes still running from them; drop the rest.
const keepAfter = Date.now() - 60 * 60 * 1000
const builds = fs.readdirSync("bin/builds").filter((b) => b !== id && !b.startsWith(".")).sort()
for (const [i, b] of builds.entries()) {
  const born = Number(b.split("-")[0])
  if (i < builds.length - 4 && born < keepAfter) fs.rmSync(`bin/builds/${b}`, { recursive: true, force: true })
}
