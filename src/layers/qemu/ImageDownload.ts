/**
 * One HTTP(S) download into a partial file, resumable: the partial file keeps what
 * arrived (a killed process, a dropped connection, an interrupted fiber), and a
 * `<partial>.json` beside it keeps the response's validators (ETag, Last-Modified,
 * size). The next attempt asks for the rest with `Range`/`If-Range`, appends on a 206
 * whose Content-Range starts where the file ends and whose validators still match,
 * and starts over on a 200 (a server that ignores ranges, or a changed file). The
 * digest is computed while the bytes flow (the kept prefix is re-read once).
 * Promise-based with an AbortSignal: the caller turns abort into Effect interruption.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import * as https from "node:https"
import { Transform } from "node:stream"
import { pipeline } from "node:stream/promises"
import * as tls from "node:tls"
import * as ImageDigest from "./ImageDigest.js"

export class DownloadFailed extends Error {}

export interface Progress {
  readonly receivedBytes: number
  readonly totalBytes?: number
  readonly bytesPerSecond: number
  readonly etaSeconds?: number
}

export interface DownloadRequest {
  readonly url: string
  readonly partial: string
  readonly algorithm: ImageDigest.Algorithm
  readonly idleTimeoutMillis: number
  readonly onProgress?: (p: Progress) => void
  readonly signal: AbortSignal
}

interface Validators {
  readonly url: string
  readonly etag?: string
  readonly lastModified?: string
  readonly totalBytes?: number
}

const MaxRedirects = 5
const ProgressEveryMillis = 1000

const metaFile = (partial: string) => `${partial}.json`

export const removePartial = (partial: string) => {
  fs.rmSync(partial, { force: true })
  fs.rmSync(metaFile(partial), { force: true })
}

/** Downloads `url` into `partial` (resuming what is there) and returns the hex digest of the whole. */
export const download = async (req: DownloadRequest): Promise<string> => {
  const kept = keptPrefix(req)
  if (kept !== undefined && kept.bytes === kept.validators.totalBytes) {
    // complete, but not installed (a crash, or a decompressor that was missing): no request
    const hash = ImageDigest.hasher(req.algorithm)
    await ImageDigest.feedFile(req.partial, hash, req.signal)
    return hash.digest("hex")
  }
  if (kept !== undefined) {
    const outcome = await attempt(req, kept)
    if (outcome !== "restart") return outcome
  }
  removePartial(req.partial)
  const outcome = await attempt(req, undefined)
  if (outcome === "restart") throw new DownloadFailed("the server's answer to a plain GET was unusable")
  return outcome
}

/** What a previous attempt left that can be resumed (needs both the bytes and their validators). */
const keptPrefix = (req: DownloadRequest): { readonly bytes: number; readonly validators: Validators } | undefined => {
  try {
    const bytes = fs.statSync(req.partial).size
    const validators = JSON.parse(fs.readFileSync(metaFile(req.partial), "utf8")) as Validators
    return bytes > 0 && validators.url === req.url ? { bytes, validators } : undefined
  } catch {
    return undefined
  }
}

const attempt = async (
  req: DownloadRequest,
  kept: { readonly bytes: number; readonly validators: Validators } | undefined
): Promise<string | "restart"> => {
  const hash = ImageDigest.hasher(req.algorithm)
  const headers: Record<string, string> = {}
  if (kept !== undefined) {
    await ImageDigest.feedFile(req.partial, hash, req.signal)
    headers["range"] = `bytes=${kept.bytes}-`
    const validator = kept.validators.etag !== undefined && !kept.validators.etag.startsWith("W/")
      ? kept.validators.etag
      : kept.validators.lastModified
    if (validator !== undefined) headers["if-range"] = validator
  }
  const stall: Stall = {}
  const res = await get(new URL(req.url), headers, req, stall, MaxRedirects)
  const status = res.statusCode ?? 0
  let offset = 0
  let totalBytes = contentLength(res)
  if (kept !== undefined && status === 206) {
    const range = contentRange(res)
    const etag = header(res, "etag")
    const lastModified = header(res, "last-modified")
    const same = range !== undefined && range.start === kept.bytes &&
      (range.total === undefined || kept.validators.totalBytes === undefined || range.total === kept.validators.totalBytes) &&
      (etag === undefined || kept.validators.etag === undefined || etag === kept.validators.etag) &&
      (lastModified === undefined || kept.validators.lastModified === undefined || lastModified === kept.validators.lastModified)
    if (!same) {
      res.destroy()
      return "restart"
    }
    offset = kept.bytes
    totalBytes = range.total ?? (totalBytes === undefined ? undefined : offset + totalBytes)
  } else if (kept !== undefined && status === 416) {
    res.resume()
    return "restart"
  } else if (status !== 200) {
    res.resume()
    throw new DownloadFailed(`HTTP ${status} ${res.statusMessage ?? ""}`.trim())
  }
  const hashNow = offset === 0 ? ImageDigest.hasher(req.algorithm) : hash
  const validators: Validators = {
    url: req.url,
    ...optional("etag", header(res, "etag")),
    ...optional("lastModified", header(res, "last-modified")),
    ...optional("totalBytes", totalBytes)
  }
  fs.writeFileSync(metaFile(req.partial), JSON.stringify(validators))
  let received = offset
  const started = Date.now()
  // the first bytes are reported at once: a slow download says so before its first second ends
  let reported = started - ProgressEveryMillis
  let reportedBytes = -1
  const report = () => {
    if (req.onProgress === undefined || reportedBytes === received) return
    reportedBytes = received
    const seconds = (Date.now() - started) / 1000
    const bytesPerSecond = seconds > 0 ? (received - offset) / seconds : 0
    req.onProgress({
      receivedBytes: received,
      bytesPerSecond,
      ...optional("totalBytes", totalBytes),
      ...optional(
        "etaSeconds",
        totalBytes !== undefined && bytesPerSecond > 0 ? Math.max(0, (totalBytes - received) / bytesPerSecond) : undefined
      )
    })
  }
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      received += chunk.length
      hashNow.update(chunk)
      const now = Date.now()
      if (now - reported >= ProgressEveryMillis) {
        reported = now
        report()
      }
      done(null, chunk)
    }
  })
  const file = fs.createWriteStream(req.partial, { flags: offset === 0 ? "w" : "a" })
  try {
    await pipeline(res, meter, file, { signal: req.signal })
  } catch (e) {
    // pipeline rejects at the first error, while a write may still be in flight: the
    // partial file's size is what the next fetch resumes from, so it must be final first
    if (!file.closed) await new Promise<void>((resolve) => file.once("close", () => resolve()))
    // the response only says "aborted" when the idle timer destroyed the request
    throw stall.reason ?? e
  }
  if (totalBytes !== undefined && received !== totalBytes) {
    throw new DownloadFailed(`the connection ended after ${received} of ${totalBytes} bytes`)
  }
  report()
  return hashNow.digest("hex")
}

const optional = <K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } =>
  (value === undefined ? {} : { [key]: value }) as { [P in K]?: V }

const header = (res: http.IncomingMessage, name: string): string | undefined => {
  const v = res.headers[name]
  return typeof v === "string" && v !== "" ? v : undefined
}

const contentLength = (res: http.IncomingMessage): number | undefined => {
  const v = header(res, "content-length")
  return v !== undefined && /^[0-9]+$/.test(v) ? Number(v) : undefined
}

const contentRange = (res: http.IncomingMessage): { readonly start: number; readonly total?: number } | undefined => {
  const m = /^bytes ([0-9]+)-[0-9]+\/([0-9]+|\*)$/.exec(header(res, "content-range") ?? "")
  if (m === null) return undefined
  return { start: Number(m[1]), ...optional("total", m[2] === "*" ? undefined : Number(m[2])) }
}

/**
 * Node bundles Mozilla's CA list; a machine's own CAs (a company proxy's) live in the
 * system bundle, so both are trusted, as curl and Lima (Go's crypto/x509) do.
 */
let caCache: ReadonlyArray<string> | undefined
const trustedCas = (): ReadonlyArray<string> => {
  if (caCache !== undefined) return caCache
  const files = [process.env["SSL_CERT_FILE"], "/etc/ssl/certs/ca-certificates.crt", "/etc/pki/tls/certs/ca-bundle.crt"]
  const system = files.flatMap((f) => {
    if (f === undefined || f === "") return []
    try {
      return [fs.readFileSync(f, "utf8")]
    } catch {
      return []
    }
  }).slice(0, 1)
  caCache = [...tls.rootCertificates, ...system]
  return caCache
}

/** A GET that follows redirects; the socket idle timeout covers connecting and every gap in the body. */
interface Stall {
  reason?: DownloadFailed
}

const get = (
  url: URL,
  headers: Record<string, string>,
  req: DownloadRequest,
  stall: Stall,
  redirectsLeft: number
): Promise<http.IncomingMessage> =>
  new Promise((resolve, reject) => {
    if (url.protocol !== "http:" && url.protocol !== "https:") {
      reject(new DownloadFailed(`redirected to an unsupported URL ${url.href}`))
      return
    }
    const options: https.RequestOptions = {
      headers: { "user-agent": "rdd", ...headers },
      signal: req.signal,
      // one connection per download: nothing to keep alive, nothing left open after it
      agent: false,
      // as an option (not setTimeout) so that it also bounds connecting to a host that never answers
      timeout: req.idleTimeoutMillis,
      ...(url.protocol === "https:" ? { ca: [...trustedCas()] } : {})
    }
    const request = (url.protocol === "https:" ? https : http).get(url, options, (res) => {
      const status = res.statusCode ?? 0
      const location = header(res, "location")
      if (status >= 300 && status < 400 && status !== 304 && location !== undefined) {
        res.resume()
        if (redirectsLeft === 0) {
          reject(new DownloadFailed(`more than ${MaxRedirects} redirects`))
          return
        }
        resolve(get(new URL(location, url), headers, req, stall, redirectsLeft - 1))
        return
      }
      resolve(res)
    })
    request.on("timeout", () => {
      stall.reason = new DownloadFailed(`no data for ${req.idleTimeoutMillis / 1000}s from ${url.host}`)
      request.destroy(stall.reason)
    })
    request.on("error", reject)
  })
