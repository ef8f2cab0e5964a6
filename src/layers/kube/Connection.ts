/**
 * The HTTPS connection to an instance's API server, built from its kubeconfig
 * (server URL, CA, bearer token or client cert; client-node for what needs more) and
 * rebuilt whenever the kubeconfig file changes: the daemon writes a new port and
 * new tokens at every start. Requests are plain node:https over a keep-alive
 * agent, each cancellable (an interrupted Effect destroys its request).
 */
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as https from "node:https"
import * as path from "node:path"
import * as KubeconfigAccess from "../../domain/k8s/KubeconfigAccess.js"
import { Unavailable } from "../../services/KubeClient.js"

export interface Target {
  readonly server: URL
  readonly agent: https.Agent
  readonly headers: Readonly<Record<string, string>>
}

export interface Response {
  readonly status: number
  readonly body: string
}

const fileKey = (path: string): string | undefined => {
  try {
    const s = fs.statSync(path)
    return `${s.ino}:${s.size}:${s.mtimeMs}`
  } catch {
    return undefined
  }
}

const textOf = (e: unknown): string => (e instanceof Error ? e.message : String(e))

type TlsOptions = Pick<https.RequestOptions, "ca" | "cert" | "key" | "servername" | "rejectUnauthorized" | "headers">

const pem = (source: KubeconfigAccess.Source | undefined, dir: string): string | undefined =>
  source === undefined ? undefined : source._tag === "Inline" ? source.pem : fs.readFileSync(path.resolve(dir, source.path), "utf8")

/** The kubeconfigs rdd writes (and any other that needs only files and tokens). */
const fromAccess = (a: KubeconfigAccess.Access, dir: string): { readonly server: string; readonly options: TlsOptions } => {
  const token = a.token ?? (a.tokenFile === undefined ? undefined : fs.readFileSync(path.resolve(dir, a.tokenFile), "utf8").trim())
  const ca = pem(a.ca, dir)
  const cert = pem(a.clientCert, dir)
  const key = pem(a.clientKey, dir)
  return {
    server: a.server,
    options: {
      headers: token === undefined ? {} : { Authorization: `Bearer ${token}` },
      rejectUnauthorized: !a.insecureSkipTlsVerify,
      ...(ca === undefined ? {} : { ca }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
      ...(a.tlsServerName === undefined ? {} : { servername: a.tlsServerName })
    }
  }
}

/** Exec plugins, auth providers and the rest: client-node implements them (loaded only then: it is slow to load). */
const withClientNode = async (text: string): Promise<{ readonly server: string; readonly options: TlsOptions }> => {
  const { KubeConfig } = await import("@kubernetes/client-node")
  const kc = new KubeConfig()
  kc.loadFromString(text)
  const cluster = kc.getCurrentCluster()
  if (cluster === null) throw new Error("no current cluster")
  const options: https.RequestOptions = { headers: {} }
  await kc.applyToHTTPSOptions(options)
  return { server: cluster.server, options }
}

/** Every request at trace level: what it asked, what came back, how long it took. */
const traced = <A extends Response>(
  method: string,
  path: string,
  streaming: boolean,
  self: Effect.Effect<A, Unavailable>
): Effect.Effect<A, Unavailable> =>
  Effect.suspend(() => {
    const started = Date.now()
    const took = () => `${Date.now() - started} ms`
    return self.pipe(
      Effect.tap((r) => Effect.logTrace(`${method} ${path} -> ${r.status}${streaming ? " (stream ended)" : ""} (${took()})`)),
      Effect.tapError((e) => Effect.logTrace(`${method} ${path} -> ${e.message} (${took()})`)),
      Effect.onInterrupt(() => Effect.logTrace(`${method} ${path} -> abandoned (${took()})`))
    )
  })

export const make = (kubeconfigPath: string) => {
  let cached: { readonly key: string; readonly target: Target } | undefined

  const load = async (): Promise<Target> => {
    const key = fileKey(kubeconfigPath)
    if (key === undefined) throw new Error(`${kubeconfigPath} does not exist (is the control plane running?)`)
    if (cached !== undefined && cached.key === key) return cached.target
    const text = fs.readFileSync(kubeconfigPath, "utf8")
    const read = KubeconfigAccess.read(text)
    if (read._tag === "Invalid") throw new Error(read.message)
    const { server, options } = read._tag === "Access" ? fromAccess(read.access, path.dirname(kubeconfigPath)) : await withClientNode(text)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(options.headers ?? {})) if (typeof v === "string") headers[k] = v
    cached?.target.agent.destroy()
    const agent = new https.Agent({
      keepAlive: true,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.cert === undefined ? {} : { cert: options.cert }),
      ...(options.key === undefined ? {} : { key: options.key }),
      ...(options.servername === undefined ? {} : { servername: options.servername }),
      ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized })
    })
    const target = { server: new URL(server), agent, headers }
    cached = { key, target }
    return target
  }

  let announced: Target | undefined
  const target: Effect.Effect<Target, Unavailable> = Effect.tryPromise({
    try: load,
    catch: (e) => new Unavailable({ message: `cannot load ${kubeconfigPath}: ${textOf(e)}`, cause: e })
  }).pipe(Effect.tap((t) => {
    if (announced === t) return Effect.void
    announced = t
    return Effect.logDebug(`API server ${t.server.origin} (from ${kubeconfigPath})`)
  }))

  /**
   * One request. `onChunk` switches to streaming (watch): the body is handed over
   * as it arrives and the Effect completes when the server ends the response.
   */
  const request = (
    method: string,
    path: string,
    options: {
      readonly body?: string
      readonly contentType?: string
      readonly timeoutMs?: number
      readonly onChunk?: (chunk: string) => void
      readonly onHeaders?: (status: number) => void
    } = {}
  ): Effect.Effect<Response, Unavailable> =>
    traced(method, path, options.onChunk !== undefined, Effect.flatMap(target, (t) =>
      Effect.async<Response, Unavailable>((resume) => {
        const url = new URL(path, t.server)
        const headers: Record<string, string> = { ...t.headers, accept: "application/json" }
        if (options.body !== undefined) {
          headers["content-type"] = options.contentType ?? "application/json"
          headers["content-length"] = String(Buffer.byteLength(options.body))
        }
        const req = https.request(url, { method, agent: t.agent, headers }, (res) => {
          res.setEncoding("utf8")
          const status = res.statusCode ?? 0
          options.onHeaders?.(status)
          let body = ""
          const streaming = options.onChunk !== undefined && status >= 200 && status < 300
          res.on("data", (chunk: string) => {
            if (streaming) options.onChunk!(chunk)
            else body += chunk
          })
          res.on("end", () => resume(Effect.succeed({ status, body })))
          res.on("error", (e) => resume(Effect.fail(new Unavailable({ message: `${method} ${url.pathname}: ${e.message}`, cause: e }))))
        })
        req.on("error", (e) => resume(Effect.fail(new Unavailable({ message: `${method} ${url.pathname}: ${e.message}`, cause: e }))))
        if (options.timeoutMs !== undefined) {
          req.setTimeout(options.timeoutMs, () => req.destroy(new Error(`no answer within ${options.timeoutMs}ms`)))
        }
        if (options.body !== undefined) req.write(options.body)
        req.end()
        return Effect.sync(() => req.destroy())
      })))

  return { request, target }
}

export type Connection = ReturnType<typeof make>
