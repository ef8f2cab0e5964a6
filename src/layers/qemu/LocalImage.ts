/**
 * Images given as `file://` URLs or paths (`~/` expanded, relative ones from the
 * current directory): used in place when uncompressed, decompressed into the cache
 * otherwise (entry keyed by the absolute path, size and mtime, so an edited file is a
 * new entry). A given digest is checked against the file, and the verdict remembered
 * under the same key, so a 500 MB image is not hashed again at every start.
 */
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import {
  abortable,
  type CachedImage,
  cacheIo,
  entryUsable,
  errorText,
  type FetchOptions,
  ImageError,
  install,
  lockEntry,
  mismatch,
  writeAtomically
} from "./CacheEntry.js"
import * as Decompress from "./Decompress.js"
import * as ImageDigest from "./ImageDigest.js"

/** The absolute path a local location names. */
export const resolvePath = (location: string, home: string): string => {
  if (/^file:\/\//i.test(location)) return fileURLToPath(location)
  if (location === "~") return home
  if (location.startsWith("~/")) return path.join(home, location.slice(2))
  return path.resolve(location)
}

const fileKey = (file: string, stat: fs.Stats) => createHash("sha256").update(`${file}\0${stat.size}\0${stat.mtimeMs}`).digest("hex")

export const fetch = (
  location: string,
  expected: ImageDigest.Digest | undefined,
  options: FetchOptions
): Effect.Effect<CachedImage, ImageError> =>
  Effect.gen(function*() {
    const file = yield* Effect.try({
      try: () => resolvePath(location, options.home),
      catch: (e) => new ImageError({ location, kind: "local", message: `${location}: ${errorText(e)}` })
    })
    const stat = yield* Effect.try({
      try: () => fs.statSync(file),
      catch: (e) =>
        new ImageError({
          location,
          kind: "local",
          message: (e as NodeJS.ErrnoException).code === "ENOENT"
            ? `image file ${file} does not exist${file === location ? "" : ` (from ${location})`}`
            : `image file ${file}: ${errorText(e)}`
        })
    })
    if (!stat.isFile()) return yield* Effect.fail(new ImageError({ location, kind: "local", message: `image ${file} is not a file` }))
    const decompressor = Decompress.forLocation(file)
    if (decompressor === undefined) {
      if (expected !== undefined) yield* verifyInPlace(location, file, stat, expected, options.cacheDir)
      return { path: file, fromCache: false }
    }
    return yield* decompressIntoCache(location, file, stat, decompressor, expected, options)
  })

const verify = (location: string, file: string, expected: ImageDigest.Digest) =>
  Effect.flatMap(
    abortable((signal) => ImageDigest.hashFile(file, expected.algorithm, signal), (e) =>
      new ImageError({ location, kind: "local", message: `cannot read image file ${file}: ${errorText(e)}` })),
    (got) => (got.hex === expected.hex ? Effect.succeed(got) : Effect.fail(mismatch(location, expected, got)))
  )

/** The verdicts already reached for this very file (same path, size and mtime), one digest a line. */
const verifyInPlace = (location: string, file: string, stat: fs.Stats, expected: ImageDigest.Digest, cacheDir: string) =>
  Effect.gen(function*() {
    const record = path.join(cacheDir, "download", "verified-local", fileKey(file, stat))
    const known = (() => {
      try {
        return fs.readFileSync(record, "utf8").split("\n")
      } catch {
        return []
      }
    })()
    if (known.includes(ImageDigest.format(expected))) return
    yield* verify(location, file, expected)
    // a cache that cannot be written only costs a rehash next time
    yield* Effect.ignore(cacheIo(location, "record the verified digest", () => {
      fs.mkdirSync(path.dirname(record), { recursive: true })
      writeAtomically(record, [...known.filter((l) => l !== ""), ImageDigest.format(expected)].join("\n") + "\n")
    }))
  })

const decompressIntoCache = (
  location: string,
  file: string,
  stat: fs.Stats,
  decompressor: Decompress.Decompressor,
  expected: ImageDigest.Digest | undefined,
  options: FetchOptions
) =>
  Effect.gen(function*() {
    const dir = path.join(options.cacheDir, "download", "by-local-sha256", fileKey(file, stat))
    const data = path.join(dir, "data")
    if (yield* entryUsable(dir, location, expected, true)) return { path: data, fromCache: true }
    yield* cacheIo(location, `create ${dir}`, () => fs.mkdirSync(dir, { recursive: true }))
    return yield* lockEntry(dir, location, options)(Effect.gen(function*() {
      if (yield* entryUsable(dir, location, expected, true)) return { path: data, fromCache: true }
      yield* cacheIo(location, "write the url file", () => writeAtomically(path.join(dir, "url"), file))
      const got = expected === undefined
        ? yield* abortable((signal) => ImageDigest.hashFile(file, "sha256", signal), (e) =>
          new ImageError({ location, kind: "local", message: `cannot read image file ${file}: ${errorText(e)}` }))
        : yield* verify(location, file, expected)
      if (fs.existsSync(data)) {
        // decompressed before, recorded with another digest algorithm: only the record changes
        yield* cacheIo(location, "record the digest", () => writeAtomically(path.join(dir, "digest"), ImageDigest.format(got)))
        return { path: data, fromCache: true }
      }
      yield* install(dir, location, { file, remove: false }, decompressor, got)
      return { path: data, fromCache: false }
    }))
  })
