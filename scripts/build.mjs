// Bundles the CLI into one ESM file (bin/rdd.mjs) plus lazily loaded chunks.
// One bundle is the main lever for start-up time on Node 20 (no compile cache):
// `rdd --version` and `rdd svc status` must not parse the daemon, SQLite or the
// Kubernetes client, which therefore live behind dynamic imports (own chunks).
import * as esbuild from "esbuild"
import { execSync } from "node:child_process"
import { rmSync, writeFileSync, chmodSync } from "node:fs"

const commit = (() => {
  try { return execSync("git rev-parse --short HEAD", { stdio: ["ignore", "pipe", "ignore"] }).toString().trim() }
  catch { return "unknown" }
})()
const version = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync("package.json", "utf8"))).version

rmSync("bin/chunks", { recursive: true, force: true })
await esbuild.build({
  entryPoints: { main: "src/main.ts" },
  outdir: "bin/chunks",
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
    "process.env.RDD_BUILD_COMMIT": JSON.stringify(commit)
  },
  banner: { js: "import { createRequire as __rddCreateRequire } from 'node:module'; const require = __rddCreateRequire(import.meta.url);" },
  logLevel: "warning"
})
// The bin is a tiny shim so that `npx rdd`, a symlink named kubectl, and the
// daemon re-exec all resolve to the same file.
writeFileSync("bin/rdd.mjs", "#!/usr/bin/env node\nimport \"./chunks/main.js\"\n")
chmodSync("bin/rdd.mjs", 0o755)
