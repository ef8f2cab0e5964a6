/**
 * The HTTPS connection to an instance's API server, built from its kubeconfig
 * with @kubernetes/client-node (server URL, CA, bearer token or client cert) and
 * rebuilt whenever the kubeconfig file changes: the daemon writes a new port and
 * new tokens at every start. Requests are plain node:https over a keep-alive
 * agent, each cancellable (an interrupted Effect destroys its request).
 */
import { KubeConfig } from "@kubernetes/client-node"
import * as Effect from "effect/Effect"
import * as fs from "node:fs"
import * as https from "node:https"
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

export const make = (kubeconfigPath: string) => {
  let cached: { readonly key: string; readonly target: Target } | undefined

  const load = async (): Promise<Target> => {
    const key = fileKey(kubeconfigPath)
    if (key === undefined) throw new Error(`${kubeconfigPath} does not exist (is the control plane running?)`)
    if (cached !== undefined && cached.key === key) return cached.target
    const kc = new KubeConfig()
    kc.loadFromString(fs.readFileSync(kubeconfigPath, "utf8"))
    const cluster = kc.getCurrentCluster()
    if (cluster === null) throw new Error(`${kubeconfigPath} has no current cluster`)
    const opts: https.RequestOptions = { headers: {} }
    await kc.applyToHTTPSOptions(opts)
    const headers: Record<string, string> = {}
    for (const [k, v] of Object.entries(opts.headers ?? {})) if (typeof v === "string") headers[k] = v
    cached?.target.agent.destroy()
    const agent = new https.Agent({
      keepAlive: true,
      ...(opts.ca === undefined ? {} : { ca: opts.ca }),
      ...(opts.cert === undefined ? {} : { cert: opts.cert }),
      ...(opts.key === undefined ? {} : { key: opts.key }),
      ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized })
    })
    const target = { server: new URL(cluster.server), agent, headers }
    cached = { key, target }
    return target
  }

  const target: Effect.Effect<Target, Unavailable> = Effect.tryPromise({
    try: load,
    catch: (e) => new Unavailable({ message: `cannot load ${kubeconfigPath}: ${textOf(e)}`, cause: e })
  })

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
    Effect.flatMap(target, (t) =>
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
      }))

  return { request, target }
}

export type Connection = ReturnType<typeof make>
