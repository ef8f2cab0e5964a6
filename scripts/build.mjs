// Bundles the CLI into one ESM file (bin/rdd.mjs) plus lazily loaded chunks.
// One bundle is the main lever for start-up time on Node 20 (no compile cache):
// `rdd --version` and `rdd svc status` must not parse the daemon, SQLite or the
// Kubernetes client, which therefore live behind dynamic imports (own chunks).
//
// Each build goes to its own directory under bin/builds/ and bin/chunks is a
// symlink swapped atomically by rename: a rebuild never pulls files from under a
// running CLI or daemon (Node resolves the symlink, so a process keeps loading
// its lazy chunks from the build it started with).
import * as esbuild from "esbuild"
import { execSync } from "node:child_process"
import * as fs from "node:fs"

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

const id = `${Date.now()}-${process.pid}`
const outdir = `bin/builds/${id}`
await esbuild.build({
  entryPoints: { main: "src/main.ts" },
  outdir,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  minify: true,
  sourcemap: false,
  legalComments: "none",
  external: ["better-sqlite3"],
  define: {
    "process.env.RDD_BUILD_VERSION": JSON.stringify(`v${version}`),
    "process.env.RDD_BUILD_COMMIT": JSON.stringify(commit),
    "process.env.RDD_BUILD_DATE": JSON.stringify(buildDate)
  },
  banner: { js: "import { createRequire as __rddCreateRequire } from 'node:module'; const require = __rddCreateRequire(import.meta.url);" },
  logLevel: "warning"
})

// The bin is a tiny shim so that `npx rdd`, a symlink named kubectl, and the
// daemon re-exec all resolve to the same file.
fs.writeFileSync(`bin/rdd.mjs.${id}`, "#!/usr/bin/env node\nimport \"./chunks/main.js\"\n", { mode: 0o755 })
fs.renameSync(`bin/rdd.mjs.${id}`, "bin/rdd.mjs")
const link = `bin/chunks.${id}`
fs.symlinkSync(`builds/${id}`, link)
const old = fs.lstatSync("bin/chunks", { throwIfNoEntry: false })
if (old !== undefined && !old.isSymbolicLink()) fs.rmSync("bin/chunks", { recursive: true, force: true }) // pre-symlink layout
fs.renameSync(link, "bin/chunks")

// Keep recent builds for processes still running from them; drop the rest.
const keepAfter = Date.now() - 60 * 60 * 1000
const builds = fs.readdirSync("bin/builds").filter((b) => b !== id).sort()
for (const [i, b] of builds.entries()) {
  const born = Number(b.split("-")[0])
  if (i < builds.length - 4 && born < keepAfter) fs.rmSync(`bin/builds/${b}`, { recursive: true, force: true })
}
