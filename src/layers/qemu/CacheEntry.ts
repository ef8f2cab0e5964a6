/**
 * What the image cache's pieces share: the public types, the one error, and the steps on
 * a cache entry (is its `data` usable for a digest, install verified bytes as `data`,
 * hold its lock), used for downloaded URLs (ImageCache) and decompressed local files
 * (LocalImage) alike.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as fs from "node:fs"
import * as path from "node:path"
import * as Decompress from "./Decompress.js"
import { withEntryLock } from "./EntryLock.js"
import * as ImageDigest from "./ImageDigest.js"
import * as ImageDownload from "./ImageDownload.js"

export interface FetchOptions {
  /** cache root; entries live in <cacheDir>/download/by-url-sha256/<sha256 hex of the URL>/ */
  readonly cacheDir: string
  /** for `~/` expansion of local paths */
  readonly home: string
  /** progress, at most about once per second while bytes flow, and once at the end */
  readonly onProgress?: (p: DownloadProgress) => void
  /** called once when another fiber or process is already fetching this image, with who */
  readonly onWaiting?: (message: string) => void
  /** a download that receives nothing for this long fails (default 30 s) */
  readonly idleTimeoutMillis?: number
}

export interface DownloadProgress {
  readonly location: string
  readonly receivedBytes: number
  readonly totalBytes?: number
  readonly bytesPerSecond: number
  readonly etaSeconds?: number
}

export interface CachedImage {
  readonly path: string
  readonly fromCache: boolean
}

export class ImageError extends Data.TaggedError("ImageError")<{
  readonly location: string
  readonly kind: "download" | "digest" | "local" | "decompress"
  readonly message: string
}> {}

export type ImageRef = { readonly location: string; readonly digest?: string | undefined }

/**
 * Runs a Promise-based step with an AbortSignal; interruption aborts it and waits until
 * it has let go of its files (so the next holder of the entry lock finds them quiet).
 */
export const abortable = <A>(run: (signal: AbortSignal) => Promise<A>, onError: (e: unknown) => ImageError) =>
  Effect.async<A, ImageError>((resume) => {
    const controller = new AbortController()
    const running = run(controller.signal)
    running.then((a) => resume(Effect.succeed(a)), (e) => resume(Effect.fail(onError(e))))
    return Effect.promise(() => {
      controller.abort()
      return running.then(() => undefined, () => undefined)
    })
  })

export const errorText = (e: unknown) => {
  const err = e as NodeJS.ErrnoException
  if (err?.code === "ENOTFOUND") return `host not found (${err.message})`
  return err instanceof Error ? err.message : String(e)
}

export const cacheIo = <A>(location: string, what: string, f: () => A) =>
  Effect.try({
    try: f,
    catch: (e) => new ImageError({ location, kind: "download", message: `${location}: cannot ${what}: ${errorText(e)}` })
  })

export const mismatch = (location: string, expected: ImageDigest.Digest, got: ImageDigest.Digest) =>
  new ImageError({
    location,
    kind: "digest",
    message: `digest mismatch for ${location}: expected ${ImageDigest.format(expected)}, got ${ImageDigest.format(got)}`
  })

/** Writes a small file so that readers see the old content or the new, never a torn one. */
export const writeAtomically = (file: string, content: string) => {
  const tmp = `${file}.tmp-${process.pid}`
  fs.writeFileSync(tmp, content)
  fs.renameSync(tmp, file)
}

/**
 * Whether the entry's `data` can be used for `expected`. The `digest` file records the
 * digest of the downloaded bytes (verified, or computed when the template gave none);
 * an uncompressed `data` asked for with another algorithm is hashed once and recorded.
 */
export const entryUsable = (
  dir: string,
  location: string,
  expected: ImageDigest.Digest | undefined,
  compressed: boolean
): Effect.Effect<boolean, ImageError> =>
  Effect.suspend(() => {
    const data = path.join(dir, "data")
    if (!fs.existsSync(data)) return Effect.succeed(false)
    if (expected === undefined) return Effect.succeed(true)
    const recorded = readDigest(dir)
    if (recorded !== undefined && recorded.algorithm === expected.algorithm) return Effect.succeed(recorded.hex === expected.hex)
    if (compressed) return Effect.succeed(false) // the compressed bytes are gone: fetch them again
    return Effect.map(
      abortable((signal) => ImageDigest.hashFile(data, expected.algorithm, signal), (e) =>
        new ImageError({ location, kind: "download", message: `${location}: cannot read the cached ${data}: ${errorText(e)}` })),
      (got) => {
        if (got.hex !== expected.hex) return false
        writeAtomically(path.join(dir, "digest"), ImageDigest.format(got))
        return true
      }
    )
  })

export const readDigest = (dir: string): ImageDigest.Digest | undefined => {
  try {
    return Either.getOrUndefined(ImageDigest.parse(fs.readFileSync(path.join(dir, "digest"), "utf8")))
  } catch {
    return undefined
  }
}

/**
 * Moves verified bytes into `data` (decompressing them on the way when needed). The old
 * `digest` goes first: a crash in between leaves `data` without a digest, which is
 * re-verified, never a digest that describes other bytes.
 */
export const install = (
  dir: string,
  location: string,
  /** `remove`: the source is the cache's own partial file, moved or deleted once installed */
  source: { readonly file: string; readonly remove: boolean },
  decompressor: Decompress.Decompressor | undefined,
  digest: ImageDigest.Digest
): Effect.Effect<void, ImageError> =>
  Effect.gen(function*() {
    const data = path.join(dir, "data")
    const digestFile = path.join(dir, "digest")
    if (decompressor !== undefined) {
      const out = path.join(dir, "data.decompressing")
      yield* abortable((signal) => Decompress.decompress(decompressor, source.file, out, signal), (e) => {
        fs.rmSync(out, { force: true })
        return new ImageError({ location, kind: "decompress", message: `cannot decompress ${location}: ${errorText(e)}` })
      })
      yield* cacheIo(location, `install ${data}`, () => {
        fs.rmSync(digestFile, { force: true })
        fs.renameSync(out, data)
        if (source.remove) ImageDownload.removePartial(source.file)
      })
    } else {
      yield* cacheIo(location, `install ${data}`, () => {
        fs.rmSync(digestFile, { force: true })
        if (source.remove) {
          fs.renameSync(source.file, data)
          ImageDownload.removePartial(source.file)
        } else {
          // never move a file the cache does not own
          fs.copyFileSync(source.file, `${data}.copying`)
          fs.renameSync(`${data}.copying`, data)
        }
      })
    }
    yield* cacheIo(location, `write ${digestFile}`, () => writeAtomically(digestFile, ImageDigest.format(digest)))
  })

export const lockEntry = (dir: string, location: string, options: FetchOptions) =>
<A>(self: Effect.Effect<A, ImageError>): Effect.Effect<A, ImageError> =>
  withEntryLock(dir, (holder) => options.onWaiting?.(`waiting for ${holder}, already fetching ${location}`))(self).pipe(
    Effect.catchTag("EntryLockFailed", (e) => Effect.fail(new ImageError({ location, kind: "download", message: `${location}: ${e.message}` })))
  )

