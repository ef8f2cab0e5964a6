/**
 * The packed artifact, installed the way a user installs it: `npm pack` of a
 * copy of this checkout (no bin/, as in a fresh clone, so prepack must build
 * the bundle), `npm install -g` of the tarball into an empty prefix, and then
 * the installed `rdd` — not the checkout's — runs `--version`, starts a
 * control plane on the package's own better-sqlite3, answers `ctl get ns`, runs
 * the tiny test guest as a LimaVM, takes `rdd set`, and deletes it all.
 *
 * better-sqlite3 is a runtime dependency and installs from the npm registry
 * (the local npm cache with --prefer-offline); its native part would be
 * downloaded from GitHub, which is unreachable here, and compiled from source
 * instead: measured 5 min 20 s on the loaded 2-core machine. The test hands
 * prebuild-install a local prebuild instead (its documented
 * `npm_config_<pkg>_local_prebuilds` directory), made from the binary the
 * checkout's own `npm ci` compiled for this Node, so the install takes the path
 * a user with network takes (a prebuilt binary) without the compile. Where the
 * prebuild does not match, it falls back to compiling: slow, still correct.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { makeInstance, type Instance } from "./lifecycle-support.js"

const repo = path.resolve(import.meta.dirname, "../..")

interface Ran {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

/** npm's own settings of the parent `npm test` (npm_config_*, npm_lifecycle_*) must not leak into the child npm */
const cleanEnv = (extra: Record<string, string> = {}): Record<string, string> => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^npm_/i.test(k)) env[k] = v
  return { ...env, ...extra }
}

const run = (file: string, args: ReadonlyArray<string>, options: { cwd: string; env: Record<string, string>; timeoutMs: number }) =>
  new Promise<Ran>((resolve) =>
    execFile(file, [...args], { cwd: options.cwd, env: options.env, timeout: options.timeoutMs, killSignal: "SIGKILL", maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr })))

/** top-level entries of the checkout that a fresh clone does not have (or that pack must not see) */
const notInAClone = new Set(["node_modules", "bin", ".git", ".cache", "coverage", "dist"])

let tmp: string
let instance: Instance | undefined

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-package-"))
}, 10_000)
afterAll(async () => {
  await instance?.cleanup()
  fs.rmSync(tmp, { recursive: true, force: true })
}, 60_000)

/** the prebuild-install archive of the checkout's compiled better-sqlite3 (glibc name: no libc tag) */
const localPrebuild = (dir: string) => {
  const pkgJson = createRequire(import.meta.url).resolve("better-sqlite3/package.json")
  const pkgDir = path.dirname(pkgJson)
  const version = (JSON.parse(fs.readFileSync(pkgJson, "utf8")) as { version: string }).version
  fs.mkdirSync(dir)
  const archive = path.join(dir, `better-sqlite3-v${version}-node-v${process.versions.modules}-${process.platform}-${process.arch}.tar.gz`)
  return run("tar", ["czf", archive, "-C", pkgDir, "build/Release/better_sqlite3.node"], { cwd: dir, env: cleanEnv(), timeoutMs: 60_000 })
}

describe("the npm package", () => {
  it("packs only what runs, installs into an empty prefix, and its rdd runs a control plane", async () => {
    // a copy of the checkout as a clone has it; node_modules is the dev install pack builds with
    const src = path.join(tmp, "src")
    fs.cpSync(repo, src, { recursive: true, filter: (from) => !notInAClone.has(path.relative(repo, from)) })
    fs.symlinkSync(fs.realpathSync(path.join(repo, "node_modules")), path.join(src, "node_modules"))

    const packed = await run("npm", ["pack", "--json", "--pack-destination", tmp], { cwd: src, env: cleanEnv(), timeoutMs: 5 * 60_000 })
    expect(packed.code, packed.stderr).toBe(0)
    const [info] = JSON.parse(packed.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>
    const files = info!.files.map((f) => f.path).sort()
    // exactly what runs: the shim, the one build it names, the docs, and npm's own files
    expect(files.filter((f) => !/^(LICENSE|README\.md|package\.json|bin\/rdd\.mjs|bin\/builds\/[^/]+\/[^/]+\.js|docs\/[^/]+\.md)$/.test(f))).toEqual([])
    const shim = fs.readFileSync(path.join(src, "bin", "rdd.mjs"), "utf8")
    const build = /import\("\.\/builds\/([^/"]+)\/main\.js"\)/.exec(shim)?.[1]
    expect(build, shim).toBeDefined()
    expect(new Set(files.flatMap((f) => /^bin\/builds\/([^/]+)\//.exec(f)?.[1] ?? []))).toEqual(new Set([build]))
    expect(files).toContain(`bin/builds/${build}/main.js`)
    expect(files).toContain("LICENSE")

    const prebuild = await localPrebuild(path.join(tmp, "prebuilds"))
    expect(prebuild.code, prebuild.stderr).toBe(0)
    const prefix = path.join(tmp, "prefix")
    const install = await run("npm", ["install", "-g", "--prefix", prefix, "--prefer-offline", "--no-audit", "--no-fund", path.join(tmp, info!.filename)], {
      cwd: tmp,
      env: cleanEnv({ npm_config_better_sqlite3_local_prebuilds: path.join(tmp, "prebuilds") }),
      timeoutMs: 15 * 60_000
    })
    expect(install.code, install.stderr).toBe(0)
    const installed = path.join(prefix, "bin", "rdd")
    const pkgDir = fs.realpathSync(path.join(prefix, "lib", "node_modules", "@rancher-desktop", "rdd"))
    // only runtime dependencies came along: better-sqlite3 and what it needs, none of the bundled ones
    expect(fs.existsSync(path.join(pkgDir, "node_modules", "better-sqlite3"))).toBe(true)
    expect(fs.existsSync(path.join(pkgDir, "node_modules", "effect"))).toBe(false)

    // the installed bin itself, through its #! line
    const version = await run(installed, ["--version"], { cwd: tmp, env: cleanEnv({ HOME: tmp }), timeoutMs: 60_000 })
    expect(version.code, version.stderr).toBe(0)
    expect(version.stdout).toMatch(/^v0\.1\.0 /)

    instance = makeInstance(installed)
    const i = instance
    const start = await i.rdd(["svc", "start"], { timeoutMs: 180_000 })
    expect(start.code, start.stderr).toBe(0)
    // the daemon runs from the package, on the package's own better-sqlite3
    const [daemon] = i.pids()
    expect(daemon).toBeDefined()
    expect(fs.readFileSync(`/proc/${daemon}/maps`, "utf8")).toContain(path.join(pkgDir, "node_modules", "better-sqlite3"))
    const ns = await i.rdd(["ctl", "get", "ns", "-o", "name"], { timeoutMs: 120_000 })
    expect(ns.code, ns.stderr).toBe(0)
    expect(ns.stdout).toContain("namespace/rdd-system")
    // a VM from the installed package: the tiny test guest under the qemu driver
    const guest = await run("bash", [path.join(repo, "scripts", "test-image.sh")], { cwd: repo, env: cleanEnv(), timeoutMs: 300_000 })
    expect(guest.code, guest.stderr).toBe(0)
    const vm = await i.rdd(["limavm", "create", "pkg", guest.stdout.trim(), "--start", "--timeout=3m"], { timeoutMs: 200_000 })
    expect(vm.code, vm.stderr).toBe(0)
    const running = await i.rdd(["ctl", "get", "limavm", "pkg", "-o", "jsonpath={.status.conditions[?(@.type==\"Running\")].status}"], { timeoutMs: 60_000 })
    expect(running.stdout, running.stderr).toBe("True")
    const gone = await i.rdd(["limavm", "delete", "pkg", "--timeout=2m"], { timeoutMs: 150_000 })
    expect(gone.code, gone.stderr).toBe(0)
    // and `rdd set` on an App whose VM is the same guest (created, not started)
    const set = await i.rdd(["set", "running=false"], { timeoutMs: 120_000, env: { RDD_APP_TEMPLATE: guest.stdout.trim() } })
    expect(set.code, set.stderr).toBe(0)
    const del = await i.rdd(["svc", "delete"], { timeoutMs: 180_000 })
    expect(del.code, del.stderr).toBe(0)
    expect(i.pids()).toEqual([])
    expect(fs.existsSync(i.dir)).toBe(false)
  }, 30 * 60_000)
})
