/**
 * VM images by location, the way Lima gets them: `http(s)://` URLs are downloaded once
 * into a cache shared by every instance and every process (Lima's layout: an entry
 * `<cacheDir>/download/by-url-sha256/<sha256 of the URL>/` with `data`, `url` and
 * `digest`), verified against the template's digest before `data` is renamed into
 * place, resumed after an interruption (ImageDownload), and decompressed when the
 * location is `.xz`/`.gz`/`.zst`/`.bz2` (the digest is that of the downloaded,
 * compressed bytes, as in Lima). Local paths are used in place (LocalImage). One
 * writer per entry (EntryLock); a reader finding `data` needs no lock, since `data`
 * only ever appears by rename.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  abortable,
  type CachedImage,
  cacheIo,
  type DownloadProgress,
  entryUsable,
  errorText,
  type FetchOptions,
  ImageError,
  type ImageRef,
  install,
  lockEntry,
  mismatch,
  writeAtomically
} from "./CacheEntry.js"
import * as Decompress from "./Decompress.js"
import * as ImageDigest from "./ImageDigest.js"
import * as ImageDownload from "./ImageDownload.js"
import * as LocalImage from "./LocalImage.js"

export { type CachedImage, type DownloadProgress, type FetchOptions, ImageError, type ImageRef }

export const DefaultIdleTimeoutMillis = 30_000

const sha256 = (s: string) => createHash("sha256").update(s).digest("hex")

/** The cache entry of a URL (Lima's key: the sha256 of the URL string as written). */
export const entryDir = (cacheDir: string, url: string) => path.join(cacheDir, "download", "by-url-sha256", sha256(url))

const isRemote = (location: string) => /^https?:\/\//i.test(location)

export const fetch = (ref: ImageRef, options: FetchOptions): Effect.Effect<CachedImage, ImageError> =>
  Effect.suspend(() => {
    const { location } = ref
    let expected: ImageDigest.Digest | undefined
    if (ref.digest !== undefined && ref.digest !== "") {
      const parsed = ImageDigest.parse(ref.digest)
      if (Either.isLeft(parsed)) return Effect.fail(new ImageError({ location, kind: "digest", message: `${location}: ${parsed.left}` }))
      expected = parsed.right
    }
    if (isRemote(location)) return fetchRemote(location, expected, options)
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location) && !/^file:\/\//i.test(location)) {
      return Effect.fail(new ImageError({ location, kind: "download", message: `${location}: unsupported URL scheme (use https://, http://, file:// or a path)` }))
    }
    return LocalImage.fetch(location, expected, options)
  })

const fetchRemote = (url: string, expected: ImageDigest.Digest | undefined, options: FetchOptions) =>
  Effect.gen(function*() {
    const dir = entryDir(options.cacheDir, url)
    const data = path.join(dir, "data")
    const decompressor = Decompress.forLocation(url)
    if (yield* entryUsable(dir, url, expected, decompressor !== undefined)) return { path: data, fromCache: true }
    yield* cacheIo(url, `create ${dir}`, () => fs.mkdirSync(dir, { recursive: true }))
    return yield* lockEntry(dir, url, options)(Effect.gen(function*() {
      // another fiber or process may have finished it while we waited
      if (yield* entryUsable(dir, url, expected, decompressor !== undefined)) return { path: data, fromCache: true }
      yield* cacheIo(url, "write the url file", () => writeAtomically(path.join(dir, "url"), url))
      const partial = path.join(dir, "data.partial")
      const algorithm = expected?.algorithm ?? "sha256"
      const hex = yield* abortable(
        (signal) =>
          ImageDownload.download({
            url,
            partial,
            algorithm,
            idleTimeoutMillis: options.idleTimeoutMillis ?? DefaultIdleTimeoutMillis,
            signal,
            ...(options.onProgress === undefined ? {} : { onProgress: (p) => options.onProgress?.({ location: url, ...p }) })
          }),
        (e) => new ImageError({ location: url, kind: "download", message: `cannot download ${url}: ${errorText(e)}` })
      )
      const got: ImageDigest.Digest = { algorithm, hex }
      if (expected !== undefined && hex !== expected.hex) {
        ImageDownload.removePartial(partial)
        return yield* Effect.fail(mismatch(url, expected, got))
      }
      yield* install(dir, url, { file: partial, remove: true }, decompressor, got)
      return { path: data, fromCache: false }
    }))
  })

const units = ["B", "KiB", "MiB", "GiB", "TiB"]
const size = (bytes: number) => {
  let n = bytes
  let u = 0
  while (n >= 1024 && u < units.length - 1) {
    n /= 1024
    u++
  }
  return u === 0 ? `${Math.round(n)} B` : `${n.toFixed(1)} ${units[u]}`
}

const duration = (seconds: number) => {
  const s = Math.ceil(seconds)
  if (s < 60) return `${s}s`
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

/** "downloading <location>: 120.0 MiB of 470.0 MiB, 25.5 MiB/s, ETA 14s" (also without total / ETA) */
export const progressText = (p: DownloadProgress): string =>
  `downloading ${p.location}: ${size(p.receivedBytes)}${p.totalBytes === undefined ? "" : ` of ${size(p.totalBytes)}`}, ` +
  `${size(p.bytesPerSecond)}/s${p.etaSeconds === undefined ? "" : `, ETA ${duration(p.etaSeconds)}`}`
