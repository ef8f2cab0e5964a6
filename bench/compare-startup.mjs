#!/usr/bin/env node
/**
 * Start-up before and after, in one run (issue 15 item 3): interleaves `node -e 0`,
 * two builds' `--version`, `svc status`, `svc paths` and `ctl get ns`, and bare
 * `kubectl get ns`, over N rounds whose order rotates; each figure is the median of
 * its per-round ratios to `node -e 0` (ctl: to `kubectl get ns` of the same round).
 * Both builds' `ctl` talk to ONE daemon (started by the new build, temp HOME).
 *
 *   node bench/compare-startup.mjs --base=/tmp/st-base/bin/rdd.mjs [--new=bin/rdd.mjs] [--rounds=25]
 */
/* global process, console */
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import * as path from "node:path"

const arg = (name, dflt) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt
const base = path.resolve(arg("base", ""))
const next = path.resolve(arg("new", "bin/rdd.mjs"))
const rounds = Number(arg("rounds", "25"))
const home = mkdtempSync(path.join(tmpdir(), "rdd-cmp-"))
const suffix = `cmp${process.pid}`
const env = { ...process.env, HOME: home }
delete env.RDD_INSTANCE; delete env.RDD_LOG_ROOT; delete env.KUBECONFIG
const node = process.execPath

const run = (argv) => {
  const t0 = process.hrtime.bigint()
  const r = spawnSync(argv[0], argv.slice(1), { env, stdio: ["ignore", "pipe", "pipe"], encoding: "utf8", timeout: 60_000 })
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, code: r.status, out: r.stdout, err: r.stderr }
}
const rdd = (bin, ...a) => [node, bin, "--instance", suffix, ...a]
const start = run(rdd(next, "svc", "start"))
if (start.code !== 0) throw new Error(`svc start: ${start.err}`)
const pid = Number(readFileSync(run(rdd(next, "svc", "paths", "pid_file")).out.trim(), "utf8").trim())
const kubeconfig = run(rdd(next, "svc", "paths", "config")).out.trim()
const cleanup = () => {
  run(rdd(next, "svc", "delete"))
  try { process.kill(pid, 0); process.kill(pid, "SIGKILL") } catch { /* already gone */ }
  rmSync(home, { recursive: true, force: true })
}
process.on("exit", () => { try { process.kill(pid, 0); process.kill(pid, "SIGKILL") } catch { /* already gone */ } })

const commands = {
  "node -e 0": [node, "-e", "0"],
  "base --version": [node, base, "--version"],
  "new --version": [node, next, "--version"],
  "base svc status": [node, base, "svc", "status"],
  "new svc status": [node, next, "svc", "status"],
  "base svc paths": [node, base, "svc", "paths"],
  "new svc paths": [node, next, "svc", "paths"],
  "base ctl get ns": rdd(base, "ctl", "get", "ns"),
  "new ctl get ns": rdd(next, "ctl", "get", "ns"),
  "kubectl get ns": ["kubectl", "--kubeconfig", kubeconfig, "get", "ns"]
}
const keys = Object.keys(commands)
const samples = Object.fromEntries(keys.map((k) => [k, []]))
try {
  for (let round = -2; round < rounds; round++) {
    const off = ((round % keys.length) + keys.length) % keys.length
    for (let i = 0; i < keys.length; i++) {
      const k = keys[(i + off) % keys.length]
      const r = run(commands[k])
      if (r.code !== 0) throw new Error(`${k}: exit ${r.code}: ${r.err}`)
      if (round >= 0) samples[k].push(r.ms)
    }
  }
} finally {
  cleanup()
}
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2 }
const ratio = (k, b) => median(samples[k].map((x, i) => x / samples[b][i]))
console.log(`${rounds} rounds, rotating order; ratio = median of per-round ratios`)
console.log(`${"command".padEnd(18)} ${"median ms".padStart(9)}  ratio`)
for (const k of keys) {
  const b = k.endsWith("ctl get ns") ? "kubectl get ns" : "node -e 0"
  const r = k === b ? "" : `${ratio(k, b).toFixed(2)}× ${b}`
  console.log(`${k.padEnd(18)} ${median(samples[k]).toFixed(1).padStart(9)}  ${r}`)
}
