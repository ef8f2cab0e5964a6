/**
 * A lean HTTPS client for the API benchmarks, built on node:https alone so the
 * client's own cost stays small and known: one keep-alive Agent limited to a
 * single socket (the "one keep-alive client" of SPEC 6), the bearer token and
 * CA taken from the kubeconfig the daemon writes. Watch streams use their own
 * agent (one socket each) and deliver newline-delimited JSON events.
 */
import * as https from "node:https"
import { readFileSync } from "node:fs"
import { parse as parseYaml } from "yaml"

export interface Endpoint {
  readonly host: string
  readonly port: number
  readonly ca: Buffer
  readonly token: string
}

interface KubeconfigShape {
  readonly "current-context"?: string
  readonly clusters?: ReadonlyArray<{ readonly name: string; readonly cluster: { readonly server: string; readonly "certificate-authority-data"?: string } }>
  readonly users?: ReadonlyArray<{ readonly name: string; readonly user: { readonly token?: string } }>
  readonly contexts?: ReadonlyArray<{ readonly name: string; readonly context: { readonly cluster: string; readonly user: string } }>
}

/** The current context's server, CA and bearer token from a kubeconfig file. */
export const endpointFromKubeconfig = (file: string): Endpoint => {
  const kc = parseYaml(readFileSync(file, "utf8")) as KubeconfigShape
  const ctx = kc.contexts?.find((c) => c.name === kc["current-context"]) ?? kc.contexts?.[0]
  if (ctx === undefined) throw new Error(`${file}: no context`)
  const cluster = kc.clusters?.find((c) => c.name === ctx.context.cluster)
  const user = kc.users?.find((u) => u.name === ctx.context.user)
  const caData = cluster?.cluster["certificate-authority-data"]
  if (cluster === undefined || caData === undefined || user?.user.token === undefined) {
    throw new Error(`${file}: context ${ctx.name} lacks a server, CA data or token`)
  }
  const url = new URL(cluster.cluster.server)
  return { host: url.hostname, port: Number(url.port || 443), ca: Buffer.from(caData, "base64"), token: user.user.token }
}

export interface Response {
  readonly status: number
  readonly body: Buffer
}

export interface Client {
  readonly endpoint: Endpoint
  readonly request: (method: string, path: string, body?: unknown) => Promise<Response>
  /** request + JSON decode, failing on a non-2xx status */
  readonly json: <A = unknown>(method: string, path: string, body?: unknown) => Promise<A>
  readonly close: () => void
}

export const makeClient = (endpoint: Endpoint, options: { readonly sockets?: number; readonly timeoutMs?: number } = {}): Client => {
  const agent = new https.Agent({ keepAlive: true, maxSockets: options.sockets ?? 1, ca: endpoint.ca })
  const timeout = options.timeoutMs ?? 60_000
  const request = (method: string, path: string, body?: unknown): Promise<Response> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined
        ? undefined
        : Buffer.isBuffer(body)
        ? body
        : Buffer.from(typeof body === "string" ? body : JSON.stringify(body))
      const req = https.request({
        agent,
        host: endpoint.host,
        port: endpoint.port,
        method,
        path,
        timeout,
        headers: {
          authorization: `Bearer ${endpoint.token}`,
          accept: "application/json",
          ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": payload.length })
        }
      }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (c: Buffer) => chunks.push(c))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks) }))
        res.on("error", reject)
      })
      req.on("timeout", () => req.destroy(new Error(`${method} ${path}: no answer within ${timeout} ms`)))
      req.on("error", reject)
      req.end(payload)
    })
  const json = async <A>(method: string, path: string, body?: unknown): Promise<A> => {
    const r = await request(method, path, body)
    if (r.status < 200 || r.status > 299) {
      throw new Error(`${method} ${path}: HTTP ${r.status}: ${r.body.toString("utf8").slice(0, 300)}`)
    }
    return JSON.parse(r.body.toString("utf8")) as A
  }
  return { endpoint, request, json, close: () => agent.destroy() }
}

export interface WatchEvent {
  readonly type: string
  readonly object: { readonly metadata?: { readonly name?: string; readonly resourceVersion?: string } }
}

export interface Watch {
  /** resolves once the response headers arrived (the watch is registered) */
  readonly opened: Promise<void>
  readonly close: () => void
}

/**
 * Opens one watch on its own socket and calls `onEvent` with the receive time
 * (process.hrtime in ms) of every complete event line.
 */
export const openWatch = (
  endpoint: Endpoint,
  path: string,
  onEvent: (event: WatchEvent, atMs: number) => void,
  onEnd: (reason: string) => void
): Watch => {
  let closed = false
  let resolveOpened: () => void = () => undefined
  let rejectOpened: (e: Error) => void = () => undefined
  const opened = new Promise<void>((res, rej) => {
    resolveOpened = res
    rejectOpened = rej
  })
  const req = https.request({
    host: endpoint.host,
    port: endpoint.port,
    method: "GET",
    path,
    ca: endpoint.ca,
    agent: false,
    headers: { authorization: `Bearer ${endpoint.token}`, accept: "application/json" }
  }, (res) => {
    if (res.statusCode !== 200) {
      rejectOpened(new Error(`watch ${path}: HTTP ${res.statusCode}`))
      res.resume()
      return
    }
    resolveOpened()
    let pending = ""
    res.setEncoding("utf8")
    res.on("data", (chunk: string) => {
      const at = Number(process.hrtime.bigint()) / 1e6
      pending += chunk
      let nl = pending.indexOf("\n")
      while (nl >= 0) {
        const line = pending.slice(0, nl)
        pending = pending.slice(nl + 1)
        if (line.trim() !== "") onEvent(JSON.parse(line) as WatchEvent, at)
        nl = pending.indexOf("\n")
      }
    })
    res.on("end", () => closed || onEnd("the server ended the watch"))
    res.on("error", (e) => closed || onEnd(e.message))
  })
  req.on("error", (e) => {
    rejectOpened(e)
    if (!closed) onEnd(e.message)
  })
  req.end()
  return {
    opened,
    close: () => {
      closed = true
      req.destroy()
    }
  }
}

export const nowMs = (): number => Number(process.hrtime.bigint()) / 1e6
