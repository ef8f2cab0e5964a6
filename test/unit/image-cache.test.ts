/**
 * The image cache against a local HTTP server that counts requests: downloaded once
 * (sequentially and concurrently), digests, fast failures, decompression, progress,
 * local paths. Resume, interruption and the cross-process lock: image-cache-resume.test.ts.
 */
import { afterEach, assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import { spawnSync } from "node:child_process"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as net from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import { pathToFileURL } from "node:url"
import * as ImageCache from "../../src/layers/qemu/ImageCache.js"
import { diskFormat } from "../../src/layers/qemu/DiskFormat.js"
import * as ImageServer from "../support/imageServer.js"

const tmp: Array<string> = []
const servers: Array<ImageServer.ImageServer> = []
const tempDir = () => {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), "rddimg-"))
  tmp.push(d)
  return d
}
const server = async () => {
  const s = await ImageServer.start()
  servers.push(s)
  return s
}
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close()
  for (const d of tmp.splice(0)) fs.rmSync(d, { recursive: true, force: true })
})

const image = (bytes: number, seed = 1) => {
  const b = Buffer.alloc(bytes)
  for (let i = 0; i < bytes; i++) b[i] = (i * 31 + seed * 7 + (i >> 8)) & 0xff
  return b
}
const digestOf = (b: Buffer, algorithm: "sha256" | "sha512" = "sha256") =>
  `${algorithm}:${createHash(algorithm).update(b).digest("hex")}`

const run = <A>(e: Effect.Effect<A, ImageCache.ImageError>) => Effect.runPromise(e)
const failure = async (e: Effect.Effect<unknown, ImageCache.ImageError>): Promise<ImageCache.ImageError> => {
  const exit = await Effect.runPromiseExit(e)
  if (Exit.isSuccess(exit)) assert.fail("expected an ImageError")
  const err = exit.cause._tag === "Fail" ? exit.cause.error : undefined
  if (!(err instanceof ImageCache.ImageError)) assert.fail(`expected an ImageError, got ${String(exit.cause)}`)
  return err
}

const options = (cacheDir: string, extra: Partial<ImageCache.FetchOptions> = {}): ImageCache.FetchOptions => ({
  cacheDir,
  home: os.homedir(),
  ...extra
})

describe("remote images", () => {
  it("downloads once into Lima's layout; the second fetch is a cache hit without a request", async () => {
    const s = await server()
    const body = image(200_000)
    s.files.set("/debian.qcow2", body)
    const cache = tempDir()
    const url = s.url("/debian.qcow2")
    const first = await run(ImageCache.fetch({ location: url }, options(cache)))
    const second = await run(ImageCache.fetch({ location: url, digest: digestOf(body) }, options(cache)))
    const entry = path.join(cache, "download", "by-url-sha256", createHash("sha256").update(url).digest("hex"))
    assert.deepStrictEqual(first, { path: path.join(entry, "data"), fromCache: false })
    assert.deepStrictEqual(second, { path: path.join(entry, "data"), fromCache: true })
    assert.strictEqual(s.requests.length, 1)
    assert.isTrue(fs.readFileSync(first.path).equals(body))
    assert.strictEqual(fs.readFileSync(path.join(entry, "url"), "utf8"), url)
    assert.strictEqual(fs.readFileSync(path.join(entry, "digest"), "utf8"), digestOf(body))
    assert.deepStrictEqual(fs.readdirSync(entry).sort(), ["data", "digest", "url"])
  })

  it("two concurrent fetches of one URL in one process make one request", async () => {
    const s = await server()
    const body = image(500_000)
    s.files.set("/a.img", body)
    const cache = tempDir()
    const waiting: Array<string> = []
    const fetch = ImageCache.fetch({ location: s.url("/a.img") }, options(cache, { onWaiting: (m) => waiting.push(m) }))
    const both = await run(Effect.all([fetch, fetch], { concurrency: "unbounded" }))
    assert.strictEqual(s.requests.length, 1)
    assert.sameMembers(both.map((r) => r.fromCache), [false, true])
    assert.strictEqual(both[0].path, both[1].path)
    assert.strictEqual(waiting.length, 1)
    assert.include(waiting[0], s.url("/a.img"))
  })

  it("a wrong digest names both digests, and nothing is cached or left partial", async () => {
    const s = await server()
    const body = image(100_000)
    s.files.set("/x.img", body)
    const cache = tempDir()
    const wrong = `sha256:${"0".repeat(64)}`
    const err = await failure(ImageCache.fetch({ location: s.url("/x.img"), digest: wrong }, options(cache)))
    assert.strictEqual(err.kind, "digest")
    assert.include(err.message, s.url("/x.img"))
    assert.include(err.message, `expected ${wrong}, got ${digestOf(body)}`)
    const entry = ImageCache.entryDir(cache, s.url("/x.img"))
    assert.deepStrictEqual(fs.readdirSync(entry), ["url"])
    // and the next fetch with the right digest downloads again and succeeds
    const ok = await run(ImageCache.fetch({ location: s.url("/x.img"), digest: digestOf(body) }, options(cache)))
    assert.isFalse(ok.fromCache)
    assert.strictEqual(s.requests.length, 2)
  })

  it("accepts right sha256 and sha512 digests and refuses other algorithms", async () => {
    const s = await server()
    const body = image(70_000)
    s.files.set("/y.img", body)
    const cache = tempDir()
    const a = await run(ImageCache.fetch({ location: s.url("/y.img"), digest: digestOf(body, "sha512") }, options(cache)))
    assert.isTrue(fs.readFileSync(a.path).equals(body))
    assert.strictEqual(fs.readFileSync(path.join(path.dirname(a.path), "digest"), "utf8"), digestOf(body, "sha512"))
    // another algorithm for the cached bytes: hashed once from `data`, no request
    const b = await run(ImageCache.fetch({ location: s.url("/y.img"), digest: digestOf(body).toUpperCase().replace("SHA256", "sha256") }, options(cache)))
    assert.isTrue(b.fromCache)
    assert.strictEqual(s.requests.length, 1)
    const md5 = await failure(ImageCache.fetch({ location: s.url("/y.img"), digest: `md5:${"a".repeat(32)}` }, options(cache)))
    assert.strictEqual(md5.kind, "digest")
    assert.include(md5.message, "supported: sha256, sha512")
  })

  it("an unreachable URL fails fast with the URL and the reason", async () => {
    const port = await new Promise<number>((resolve) => {
      const probe = net.createServer().listen(0, "127.0.0.1", () => {
        const p = (probe.address() as net.AddressInfo).port
        probe.close(() => resolve(p))
      })
    })
    const url = `http://127.0.0.1:${port}/gone.img`
    const started = Date.now()
    const err = await failure(ImageCache.fetch({ location: url }, options(tempDir())))
    assert.isBelow(Date.now() - started, 5000)
    assert.strictEqual(err.kind, "download")
    assert.include(err.message, url)
    assert.include(err.message, "ECONNREFUSED")
  })

  it("an HTTP error status fails with the status; redirects are followed up to 5", async () => {
    const s = await server()
    const body = image(10_000)
    s.files.set("/final.img", body)
    s.script = (req, res) => {
      const hop = /^\/hop([0-9]+)$/.exec(req.url ?? "")
      if (hop === null) return false
      const n = Number(hop[1])
      res.writeHead(302, { location: n === 0 ? "/final.img" : `/hop${n - 1}` }).end()
      return true
    }
    const cache = tempDir()
    const notFound = await failure(ImageCache.fetch({ location: s.url("/missing.img") }, options(cache)))
    assert.strictEqual(notFound.kind, "download")
    assert.include(notFound.message, s.url("/missing.img"))
    assert.include(notFound.message, "HTTP 404")
    const redirected = await run(ImageCache.fetch({ location: s.url("/hop4") }, options(cache)))
    assert.isTrue(fs.readFileSync(redirected.path).equals(body))
    const tooMany = await failure(ImageCache.fetch({ location: s.url("/hop5") }, options(cache)))
    assert.include(tooMany.message, "more than 5 redirects")
  })

  it("a server that stops sending fails after the idle timeout", async () => {
    const s = await server()
    s.script = (_req, res) => {
      res.writeHead(200, { "content-length": 1000 })
      res.write(Buffer.alloc(10))
      return true // and nothing more
    }
    const err = await failure(ImageCache.fetch({ location: s.url("/stall.img") }, options(tempDir(), { idleTimeoutMillis: 300 })))
    assert.strictEqual(err.kind, "download")
    assert.include(err.message, "no data for 0.3s")
  })

  it("reports progress with increasing bytes and the total, and formats it", async () => {
    const s = await server()
    const body = image(6 * 65536)
    // six chunks, 450 ms apart: the 1/s throttle lets one report through before the final one
    s.script = (_req, res) => {
      res.writeHead(200, { "content-length": body.length })
      let i = 0
      const next = () => {
        res.write(body.subarray(i * 65536, (i + 1) * 65536))
        if (++i < 6) setTimeout(next, 450)
        else res.end()
      }
      next()
      return true
    }
    const seen: Array<ImageCache.DownloadProgress> = []
    await run(ImageCache.fetch({ location: s.url("/slow.img") }, options(tempDir(), { onProgress: (p) => seen.push(p) })))
    assert.isAtLeast(seen.length, 2)
    for (let i = 1; i < seen.length; i++) assert.isAbove(seen[i]!.receivedBytes, seen[i - 1]!.receivedBytes)
    const last = seen[seen.length - 1]!
    assert.strictEqual(last.receivedBytes, body.length)
    assert.strictEqual(last.totalBytes, body.length)
    assert.strictEqual(last.location, s.url("/slow.img"))
    assert.isAbove(last.bytesPerSecond, 0)
  })

  it("progressText", () => {
    const MiB = 1024 * 1024
    assert.strictEqual(
      ImageCache.progressText({ location: "https://x/d.qcow2", receivedBytes: 120 * MiB, totalBytes: 470 * MiB, bytesPerSecond: 25.5 * MiB, etaSeconds: 13.7 }),
      "downloading https://x/d.qcow2: 120.0 MiB of 470.0 MiB, 25.5 MiB/s, ETA 14s"
    )
    assert.strictEqual(
      ImageCache.progressText({ location: "u", receivedBytes: 1536, bytesPerSecond: 100 }),
      "downloading u: 1.5 KiB, 100 B/s"
    )
    assert.strictEqual(
      ImageCache.progressText({ location: "u", receivedBytes: 0, totalBytes: 3 * 1024 * MiB, bytesPerSecond: MiB, etaSeconds: 3125 }),
      "downloading u: 0 B of 3.0 GiB, 1.0 MiB/s, ETA 52m05s"
    )
  })
})

const compress = (tool: "gzip" | "xz", input: Buffer): Buffer => {
  const r = spawnSync(tool, ["-c"], { input })
  assert.strictEqual(r.status, 0, String(r.stderr))
  return r.stdout
}

describe("compressed images", () => {
  for (const [tool, ext] of [["gzip", ".gz"], ["xz", ".xz"]] as const) {
    it(`decompresses ${ext} with ${tool}; the digest is the compressed bytes'`, async () => {
      const s = await server()
      const body = image(300_000, 3)
      const packed = compress(tool, body)
      s.files.set(`/img.raw${ext}`, packed)
      const cache = tempDir()
      const url = s.url(`/img.raw${ext}`)
      const got = await run(ImageCache.fetch({ location: url, digest: digestOf(packed) }, options(cache)))
      assert.isTrue(fs.readFileSync(got.path).equals(body))
      assert.deepStrictEqual(fs.readdirSync(path.dirname(got.path)).sort(), ["data", "digest", "url"])
      const again = await run(ImageCache.fetch({ location: url, digest: digestOf(packed) }, options(cache)))
      assert.isTrue(again.fromCache)
      assert.strictEqual(s.requests.length, 1)
    })
  }

  it("decompresses a local .gz into the cache once; a missing tool names its Debian package", async () => {
    const dir = tempDir()
    const body = image(50_000, 4)
    const file = path.join(dir, "disk.img.gz")
    fs.writeFileSync(file, compress("gzip", body))
    const cache = tempDir()
    const first = await run(ImageCache.fetch({ location: file }, options(cache)))
    assert.isFalse(first.fromCache)
    assert.isTrue(first.path.startsWith(path.join(cache, "download")))
    assert.isTrue(fs.readFileSync(first.path).equals(body))
    assert.isTrue((await run(ImageCache.fetch({ location: file }, options(cache)))).fromCache)

    const other = path.join(dir, "other.img.gz")
    fs.copyFileSync(file, other)
    const savedPath = process.env["PATH"]
    process.env["PATH"] = tempDir() // no gzip on it
    try {
      const err = await failure(ImageCache.fetch({ location: other }, options(cache)))
      assert.strictEqual(err.kind, "decompress")
      assert.include(err.message, "gzip is not installed (Debian package gzip)")
    } finally {
      process.env["PATH"] = savedPath
    }
  })
})

describe("local images", () => {
  it("uses file:// URLs, plain and ~/ paths in place", async () => {
    const home = tempDir()
    const body = image(20_000, 5)
    const file = path.join(home, "images", "base.qcow2")
    fs.mkdirSync(path.dirname(file))
    fs.writeFileSync(file, body)
    const cache = tempDir()
    for (const location of [pathToFileURL(file).href, file, "~/images/base.qcow2"]) {
      const got = await run(ImageCache.fetch({ location }, { cacheDir: cache, home }))
      assert.deepStrictEqual(got, { path: file, fromCache: false }, location)
    }
    assert.isFalse(fs.existsSync(path.join(cache, "download")))
  })

  it("checks a local file's digest once per path, size and mtime", async () => {
    const dir = tempDir()
    const body = image(30_000, 6)
    const file = path.join(dir, "base.img")
    fs.writeFileSync(file, body)
    const cache = tempDir()
    const bad = await failure(ImageCache.fetch({ location: file, digest: digestOf(image(10)) }, options(cache)))
    assert.strictEqual(bad.kind, "digest")
    assert.include(bad.message, `expected ${digestOf(image(10))}, got ${digestOf(body)}`)
    assert.isTrue(fs.existsSync(file), "a local file is never deleted")
    await run(ImageCache.fetch({ location: file, digest: digestOf(body) }, options(cache)))
    const records = fs.readdirSync(path.join(cache, "download", "verified-local"))
    assert.lengthOf(records, 1)
    assert.include(fs.readFileSync(path.join(cache, "download", "verified-local", records[0]!), "utf8"), digestOf(body))
  })

  it("a missing local file is kind local and names the path", async () => {
    const home = tempDir()
    const err = await failure(ImageCache.fetch({ location: "~/nope.qcow2" }, { cacheDir: tempDir(), home }))
    assert.strictEqual(err.kind, "local")
    assert.include(err.message, path.join(home, "nope.qcow2"))
  })
})

describe("diskFormat", () => {
  it("tells qcow2 by its magic and takes anything else as raw", () => {
    const dir = tempDir()
    fs.writeFileSync(path.join(dir, "q"), Buffer.concat([Buffer.from([0x51, 0x46, 0x49, 0xfb]), Buffer.alloc(60)]))
    fs.writeFileSync(path.join(dir, "r"), Buffer.alloc(64))
    fs.writeFileSync(path.join(dir, "short"), Buffer.from("QF"))
    assert.strictEqual(diskFormat(path.join(dir, "q")), "qcow2")
    assert.strictEqual(diskFormat(path.join(dir, "r")), "raw")
    assert.strictEqual(diskFormat(path.join(dir, "short")), "raw")
    assert.strictEqual(diskFormat(path.join(dir, "missing")), "raw")
  })
})
