/**
 * Every command example in docs/*.md is run, so the documentation cannot rot
 * (issue 7 part 5). The convention is in DocExamples.ts and docs/README.md: ```sh
 * blocks run in order in one bash session per page, in a temp HOME with the
 * page's own instance, and each command's exit code must match its `# exit N`
 * comment (0 when there is none). Whatever a page started is stopped afterwards
 * (`svc stop`, then by pid as a last resort). Pages may use `./vm.yaml`: the test
 * guest's template is put there for them.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { execFileSync, spawn, spawnSync } from "node:child_process"
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { rddBin, tempHome } from "../support/rdd.js"
import { readKubeconfig, tokenLeaks } from "../security/Api.js"
import { sweepDaemons } from "../security/Sweep.js"
import { type Example, parsePage, script } from "./DocExamples.js"

const docsDir = path.resolve(import.meta.dirname, "../../docs")
const pages = existsSync(docsDir) ? readdirSync(docsDir).filter((f) => f.endsWith(".md")).sort() : []

describe("the convention parser", () => {
  it("runs only ```sh blocks, joins continued lines and reads # exit N", () => {
    const page = parsePage([
      "text",
      "```sh",
      "# a comment",
      "rdd svc status",
      "rdd --instance ../x svc status  # exit 2",
      "rdd svc paths \\",
      "  dir",
      "echo $# # exit 3 (made up)",
      "```",
      "```console",
      "time=\"...\" level=info msg=x",
      "```"
    ].join("\n"))
    expect(page.problems).toEqual([])
    expect(page.examples).toEqual([
      { line: 4, command: "rdd svc status", expectedExit: 0 },
      { line: 5, command: "rdd --instance ../x svc status  # exit 2", expectedExit: 2 },
      { line: 6, command: "rdd svc paths \\\n  dir", expectedExit: 0 },
      { line: 8, command: "echo $# # exit 3 (made up)", expectedExit: 3 }
    ])
  })

  it("refuses examples that would not be run", () => {
    const page = parsePage(["```bash", "rdd svc start", "```", "```console", "$ rdd svc stop", "```", "```sh", "$ rdd x", "```"].join("\n"))
    expect(page.problems).toHaveLength(3)
  })
})

interface Ran {
  readonly code: number | undefined
  readonly stdout: string
  readonly stderr: string
}

/**
 * Files the pages may use from their working directory. `./vm.yaml` is the tiny
 * QEMU test guest's template (scripts/test-image.sh builds or finds it in the
 * cache of the real HOME), so VM examples boot a real VM in seconds.
 */
interface Fixtures {
  readonly vmTemplate?: string
}

const fixturesFor = (markdown: string): Fixtures => {
  if (!markdown.includes("./vm.yaml")) return {}
  const repo = path.resolve(import.meta.dirname, "../..")
  const template = execFileSync("bash", [path.join(repo, "scripts/test-image.sh")], { encoding: "utf8", timeout: 300_000 }).trim()
  return { vmTemplate: template }
}

/** Runs a page's examples; resolves with the result of each, by line. */
const runPage = (name: string, examples: ReadonlyArray<Example>, home: string, fixtures: Fixtures): Promise<Map<number, Ran>> => {
  const work = path.join(home, "work")
  const out = path.join(home, "out")
  const bin = path.join(home, "bin")
  for (const d of [work, out, bin]) mkdirSync(d, { recursive: true })
  writeFileSync(path.join(bin, "rdd"), `#!/bin/sh\nexec "${process.execPath}" "${rddBin}" "$@"\n`)
  chmodSync(path.join(bin, "rdd"), 0o755)
  if (fixtures.vmTemplate !== undefined) copyFileSync(fixtures.vmTemplate, path.join(work, "vm.yaml"))
  const rc = path.join(home, "rc")
  writeFileSync(rc, "")
  writeFileSync(path.join(home, "page.sh"), script(examples))
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("RDD_") && k !== "KUBECONFIG") env[k] = v
  }
  Object.assign(env, {
    HOME: home,
    PATH: `${bin}:${process.env["PATH"] ?? "/usr/bin:/bin"}`,
    RDD_INSTANCE: `docs-${name.replace(/\.md$/, "").replace(/[^A-Za-z0-9]/g, "")}`.slice(0, 40),
    RDD_DOCS_RC: rc,
    RDD_DOCS_OUT: out
  })
  return new Promise((resolve, reject) => {
    const child = spawn("bash", ["--noprofile", "--norc", path.join(home, "page.sh")], { cwd: work, env, stdio: "ignore" })
    // a hang guard for the whole page (below the beforeAll bound): the user guide runs VMs, daemons and many commands, minutes on a loaded machine
    const timer = setTimeout(() => child.kill("SIGKILL"), 480_000)
    child.once("error", reject)
    child.once("close", () => {
      clearTimeout(timer)
      const results = new Map<number, Ran>()
      for (const l of readFileSync(rc, "utf8").split("\n")) {
        const m = /^(\d+) (\d+)$/.exec(l)
        if (m === null) continue
        const line = Number(m[1])
        const read = (ext: string) => {
          const f = path.join(out, `${line}.${ext}`)
          return existsSync(f) ? readFileSync(f, "utf8") : ""
        }
        results.set(line, { code: Number(m[2]), stdout: read("out"), stderr: read("err") })
      }
      resolve(results)
    })
  })
}

/** Stops every instance a page created, gracefully, then by pid; scans their logs for tokens. */
const stopEverything = (home: string) => {
  const share = path.join(home, ".local", "share")
  const logDirs: Array<string> = []
  if (existsSync(share)) {
    for (const dir of readdirSync(share)) {
      logDirs.push(path.join(home, ".local", "state", dir))
      const config = path.join(share, dir, "config.yaml")
      if (existsSync(config)) readKubeconfig(config)
      const suffix = dir.replace(/^rancher-desktop-/, "")
      spawnSync(process.execPath, [rddBin, "--instance", suffix, "svc", "stop", "--timeout=30s"], {
        env: { ...process.env, HOME: home },
        stdio: "ignore",
        timeout: 40_000
      })
    }
  }
  return { left: sweepDaemons(home), leaks: tokenLeaks(logDirs) }
}

describe.each(pages)("docs/%s", (name) => {
  const markdown = readFileSync(path.join(docsDir, name), "utf8")
  const page = parsePage(markdown)
  const { home, cleanup } = tempHome("rdd-docs-")
  let results = new Map<number, Ran>()

  beforeAll(async () => {
    if (page.examples.length > 0) results = await runPage(name, page.examples, home, fixturesFor(markdown))
  }, 550_000)
  afterAll(() => {
    const { left, leaks } = stopEverything(home)
    cleanup()
    expect(left, "a page's examples left a daemon running that svc stop did not end").toEqual([])
    expect(leaks, "a token appears in a daemon's log").toEqual([])
  }, 60_000)

  it("follows the example convention", () => {
    expect(page.problems).toEqual([])
  })

  it.each(page.examples.map((e) => [e.line, e.command.split("\n")[0], e] as const))(
    "line %i: %s",
    (_line, _c, e) => {
      const r = results.get(e.line)
      expect(r, `did not run (an earlier command hung or the page timed out): ${e.command}`).toBeDefined()
      expect(r!.code, `${name}:${e.line}: ${e.command}\nstdout:\n${r!.stdout}\nstderr:\n${r!.stderr}`).toBe(e.expectedExit)
    }
  )
})
