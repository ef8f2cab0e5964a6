/**
 * VM images over HTTP end to end: the real CLI and daemon fetch the tiny SSH
 * guest's files from a local server on 127.0.0.1 that counts requests. One
 * download serves two VMs; a wrong digest and an unreachable URL fail fast with
 * exit 1 and cache nothing; a download cut by killing the daemon is resumed
 * (a Range request) by the next daemon. No guest boots here: creating is enough.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { createHash } from "node:crypto"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as ImageServer from "../support/imageServer.js"
import { isAlive } from "../support/process.js"
import { runRdd } from "../support/rdd.js"

const repo = path.resolve(import.meta.dirname, "../..")
const suffix = `li${process.pid % 100000}`
const home = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-images-e2e-"))
const cacheDir = path.join(home, "image-cache")
const serviceDir = path.join(home, ".local", "share", `rancher-desktop-${suffix}`)

const rdd = (args: ReadonlyArray<string>, timeoutMs = 120_000) =>
  runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info", RDD_CACHE_DIR: cacheDir }, timeoutMs })

const daemonPid = () => {
  try {
    return Number(fs.readFileSync(path.join(serviceDir, "rdd.pid"), "utf8").trim())
  } catch {
    return 0
  }
}
const entry = (url: string) => path.join(cacheDir, "download", "by-url-sha256", createHash("sha256").update(url).digest("hex"))

let server: ImageServer.ImageServer
let kernel = Buffer.alloc(0)
let initrd = Buffer.alloc(0)
let disk = Buffer.alloc(0)

/** A template whose three files come from `dir` on the server (with an optional disk digest). */
const templateFile = (name: string, dir: string, digest?: string) => {
  const p = path.join(home, `${name}.yaml`)
  fs.writeFileSync(p, [
    "vmType: qemu",
    "arch: x86_64",
    "cpus: 1",
    "memory: 256MiB",
    "images:",
    `- location: "${server.url(`${dir}/disk.raw`)}"`,
    "  arch: x86_64",
    ...(digest === undefined ? [] : [`  digest: "${digest}"`]),
    "  kernel:",
    `    location: "${server.url(`${dir}/vmlinuz`)}"`,
    "    cmdline: console=ttyS0",
    "  initrd:",
    `    location: "${server.url(`${dir}/initrd.cpio.gz`)}"`,
    ""
  ].join("\n"))
  return p
}
const serve = (dir: string) => {
  server.files.set(`${dir}/disk.raw`, disk)
  server.files.set(`${dir}/vmlinuz`, kernel)
  server.files.set(`${dir}/initrd.cpio.gz`, initrd)
}
const requestsFor = (p: string) => server.requests.filter((r) => r.path === p)
const createdReason = async (vm: string) =>
  (await rdd(["ctl", "get", "limavm", vm, "-o", "jsonpath={.status.conditions[?(@.type==\"Created\")].reason}"])).stdout

beforeAll(async () => {
  execFileSync("node", ["scripts/build.mjs"], { cwd: repo, stdio: "ignore" })
  const tpl = execFileSync("bash", [path.join(repo, "scripts/test-image.sh"), "--tiny-ssh"], { encoding: "utf8", timeout: 300_000 }).trim()
  const dir = path.dirname(tpl)
  kernel = fs.readFileSync(path.join(dir, "vmlinuz"))
  initrd = fs.readFileSync(path.join(dir, "initrd.cpio.gz"))
  disk = fs.readFileSync(path.join(dir, "disk.raw"))
  server = await ImageServer.start()
}, 300_000)

afterAll(async () => {
  const d = daemonPid()
  if (d > 0 && isAlive(d)) await rdd(["svc", "delete", "--timeout=60s"], 70_000)
  if (d > 0 && isAlive(d)) process.kill(d, "SIGKILL")
  await server?.close()
  fs.rmSync(home, { recursive: true, force: true })
}, 120_000)

describe.sequential("VM images from a local HTTP server", () => {
  it("two VMs from one URL: each file downloaded once, cached under Lima's layout", async () => {
    serve("/a")
    const t = templateFile("shared", "/a")
    for (const vm of ["one", "two"]) assert.strictEqual((await rdd(["limavm", "create", vm, t])).code, 0)
    for (const vm of ["one", "two"]) {
      const w = await rdd(["ctl", "wait-condition", `limavm/${vm}`, "Created=True", "--timeout=90s"])
      assert.strictEqual(w.code, 0, w.stderr)
    }
    for (const f of ["/a/disk.raw", "/a/vmlinuz", "/a/initrd.cpio.gz"]) assert.strictEqual(requestsFor(f).length, 1, f)
    const e = entry(server.url("/a/disk.raw"))
    assert.isTrue(fs.readFileSync(path.join(e, "data")).equals(disk))
    assert.strictEqual(fs.readFileSync(path.join(e, "url"), "utf8").trim(), server.url("/a/disk.raw"))
  }, 180_000)

  it("a wrong digest is exit 1 naming both digests, and nothing is cached", async () => {
    serve("/b")
    const wrong = `sha256:${"0".repeat(64)}`
    const actual = `sha256:${createHash("sha256").update(disk).digest("hex")}`
    const r = await rdd(["limavm", "create", "bad", templateFile("bad", "/b", wrong), "--start", "--timeout=90s"])
    assert.strictEqual(r.code, 1, r.stderr)
    assert.include(r.stderr, wrong)
    assert.include(r.stderr, actual)
    assert.isFalse(fs.existsSync(path.join(entry(server.url("/b/disk.raw")), "data")))
    assert.strictEqual((await rdd(["limavm", "delete", "bad"])).code, 0)
  }, 120_000)

  it("an unreachable URL fails fast (exit 1) with the URL in the message", async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, "127.0.0.1", () => {
        const port = (s.address() as net.AddressInfo).port
        s.close(() => resolve(port))
      })
    })
    const url = `http://127.0.0.1:${closed}/gone/disk.raw`
    const p = path.join(home, "gone.yaml")
    fs.writeFileSync(p, `vmType: qemu\narch: x86_64\nimages:\n- location: "${url}"\n  arch: x86_64\n`)
    const r = await rdd(["limavm", "create", "gone", p, "--start", "--timeout=90s"])
    assert.strictEqual(r.code, 1, r.stderr)
    assert.include(r.stderr, url)
    assert.isBelow(r.ms, 30_000)
    assert.strictEqual((await rdd(["limavm", "delete", "gone"])).code, 0)
  }, 120_000)

  it("a download cut by killing the daemon is resumed by the next one (Range), and the progress shows in Created", async () => {
    serve("/c")
    const half = Math.floor(disk.length / 2)
    let stalled: (() => void) | undefined
    server.script = (req, res) => {
      if (req.url !== "/c/disk.raw" || req.headers.range !== undefined) return false
      res.writeHead(200, { "content-length": disk.length, etag: ImageServer.Etag, "accept-ranges": "bytes" })
      res.write(disk.subarray(0, half))
      stalled = () => res.destroy()
      return true
    }
    const t = templateFile("cut", "/c")
    assert.strictEqual((await rdd(["limavm", "create", "cut", t])).code, 0)
    const end = Date.now() + 60_000
    while (stalled === undefined && Date.now() < end) await new Promise((r) => setTimeout(r, 100))
    assert.isDefined(stalled, "the daemon asked for the disk")
    // the Created condition carries the download's progress while it runs
    let message = ""
    while (!message.includes("downloading") && Date.now() < end) {
      message = (await rdd(["ctl", "get", "limavm", "cut", "-o", "jsonpath={.status.conditions[?(@.type==\"Created\")].message}"])).stdout
    }
    assert.include(message, `downloading ${server.url("/c/disk.raw")}`)
    process.kill(daemonPid(), "SIGKILL")
    stalled?.()
    server.script = undefined
    assert.strictEqual((await rdd(["svc", "start"])).code, 0)
    const w = await rdd(["ctl", "wait-condition", "limavm/cut", "Created=True", "--timeout=90s"])
    assert.strictEqual(w.code, 0, w.stderr)
    assert.strictEqual(await createdReason("cut"), "Created")
    const resumed = requestsFor("/c/disk.raw").filter((r) => r.range !== undefined)
    assert.deepStrictEqual(resumed.map((r) => r.range), [`bytes=${half}-`])
    assert.isTrue(fs.readFileSync(path.join(entry(server.url("/c/disk.raw")), "data")).equals(disk))
  }, 240_000)
})
