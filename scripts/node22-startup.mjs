// Start-up of the built CLI on Node 20 and Node 22, with and without Node 22's
// module compile cache (NODE_COMPILE_CACHE = module.enableCompileCache()),
// interleaved round by round so that machine load hits every variant alike.
// Usage: node scripts/node22-startup.mjs NODE20 NODE22 bin/rdd.mjs [ROUNDS] (docs/node22.md)
import { spawnSync } from "node:child_process"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"
const [node20, node22, bin, rounds = "15"] = process.argv.slice(2)
const home = mkdtempSync(path.join(tmpdir(), "n22-startup-"))
const cache = path.join(home, "compile-cache")
const variants = {
  "node20 -e 0": [node20, ["-e", "0"], {}],
  "node22 -e 0": [node22, ["-e", "0"], {}],
}
for (const args of [["--version"], ["svc", "status"], ["svc", "paths"]]) {
  const k = args.join(" ")
  variants[`node20 ${k}`] = [node20, [bin, "--instance", "n22m", ...args], {}]
  variants[`node22 ${k}`] = [node22, [bin, "--instance", "n22m", ...args], {}]
  variants[`node22+cache ${k}`] = [node22, [bin, "--instance", "n22m", ...args], { NODE_COMPILE_CACHE: cache }]
}
const times = Object.fromEntries(Object.keys(variants).map((k) => [k, []]))
// warm: fill the OS page cache and the compile cache once
for (const [file, args, env] of Object.values(variants)) spawnSync(file, args, { env: { ...process.env, HOME: home, ...env } })
for (let r = 0; r < Number(rounds); r++) {
  for (const [k, [file, args, env]] of Object.entries(variants)) {
    const t0 = process.hrtime.bigint()
    spawnSync(file, args, { env: { ...process.env, HOME: home, ...env }, stdio: "ignore" })
    times[k].push(Number(process.hrtime.bigint() - t0) / 1e6)
  }
}
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)] }
const base = { node20: median(times["node20 -e 0"]), node22: median(times["node22 -e 0"]) }
for (const [k, a] of Object.entries(times)) {
  const m = median(a)
  const b = k.startsWith("node20") ? base.node20 : base.node22
  console.log(`${k.padEnd(32)} median ${m.toFixed(1).padStart(7)} ms  ${(m / b).toFixed(2)}x own node -e 0`)
}
rmSync(home, { recursive: true, force: true })
