/**
 * The HTTPS front of the API: bearer-token authentication (only /version and the
 * health endpoints are anonymous), the 3 MiB body limit, body decoding (JSON,
 * YAML, kubectl's protobuf), routing to discovery, OpenAPI and the verbs of
 * Resources.ts, Table rendering for kubectl, and streaming watches whose headers
 * are flushed at once. Every error is a Status object; responses are JSON.
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Runtime from "effect/Runtime"
import type * as http from "node:http"
import * as YAML from "yaml"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as Status from "../../domain/k8s/Status.js"
import * as Eager from "../Eager.js"
import * as AccessReviews from "./AccessReviews.js"
import * as ApiError from "./ApiError.js"
import * as Body from "./Body.js"
import * as Discovery from "./Discovery.js"
import * as OpenApi from "./OpenApi.js"
import { apiVersionOf, type ResourceInfo } from "./Registry.js"
import type { ApiShape, ListResult, WriteOptions } from "./Resources.js"
import * as Routes from "./Routes.js"
import * as Tables from "./Tables.js"
import { serialized } from "../storage/Store.js"
import * as Selectors from "./Selectors.js"
import { strategyFor } from "./Strategy.js"
import * as Views from "./Views.js"
import * as Watch from "./Watch.js"
import * as WebhookConfigurations from "./WebhookConfigurations.js"

export const BodyLimit = 3 * 1024 * 1024
/** A watcher with this much unsent output is too slow: it is closed so it cannot hold memory or writers. */
const WatchBacklogLimit = 16 * 1024 * 1024

export const VersionInfo = {
  major: "1",
  minor: "32",
  gitVersion: "v1.32.4",
  gitCommit: "0",
  gitTreeState: "clean",
  buildDate: "2025-01-01T00:00:00Z",
  goVersion: "go1.23",
  compiler: "gc",
  platform: `${process.platform}/${process.arch === "x64" ? "amd64" : process.arch}`
}

export interface HttpOptions {
  readonly api: ApiShape
  /** bearer token → user name */
  readonly tokens: ReadonlyMap<string, string>
  readonly runtime: Runtime.Runtime<never>
  /** host:port for APIVersions */
  readonly address: () => string
  /** false while shutting down: /readyz then answers 500 */
  readonly ready: () => boolean
}

const send = (res: http.ServerResponse, code: number, body: unknown) => {
  const text = typeof body === "object" && body !== null ? serialized(body) : JSON.stringify(body)
  res.writeHead(code, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) })
  res.end(text)
}

const sendText = (res: http.ServerResponse, code: number, text: string) => {
  res.writeHead(code, { "Content-Type": "text/plain; charset=utf-8", "Content-Length": Buffer.byteLength(text) })
  res.end(text)
}

const sendError = (res: http.ServerResponse, e: ApiError.ApiError) => send(res, e.code, e.status)

const methodNotAllowed = ApiError.methodNotAllowed("the server does not allow this method on the requested resource")

const truthy = (v: string | null) => v === "true" || v === "1"

const intParam = (q: URLSearchParams, name: string): number | undefined => {
  const v = q.get(name)
  if (v === null || v === "") return undefined
  const n = Number(v)
  return Number.isFinite(n) ? n : undefined
}

/** Malformed query parameters are a 400, as in Kubernetes, never silently ignored. */
const queryError = (q: URLSearchParams, write: boolean): ApiError.ApiError | undefined => {
  for (const k of ["limit", "timeoutSeconds"]) {
    const v = q.get(k)
    if (v !== null && v !== "" && !/^-?[0-9]+$/.test(v)) {
      return ApiError.badRequest(`invalid value ${JSON.stringify(v)} for ${k}: strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`)
    }
  }
  const rv = q.get("resourceVersion")
  if (rv !== null && rv !== "" && !/^[0-9]+$/.test(rv)) {
    return ApiError.badRequest(`resourceVersion: Invalid value: ${JSON.stringify(rv)}: must be a non-negative integer`)
  }
  const match = q.get("resourceVersionMatch")
  if (match !== null && match !== "" && match !== "Exact" && match !== "NotOlderThan") {
    return ApiError.badRequest(`resourceVersionMatch: Unsupported value: ${JSON.stringify(match)}: supported values: "Exact", "NotOlderThan"`)
  }
  if (write) {
    const bad = q.getAll("dryRun").find((v) => v !== "All")
    if (bad !== undefined) return ApiError.badRequest(`dryRun: Unsupported value: ${JSON.stringify(bad)}: supported values: "All"`)
  }
  return undefined
}

const writeOptions = (q: URLSearchParams, user: string): WriteOptions => {
  const dryRun = q.getAll("dryRun")
  return {
    dryRun: dryRun.includes("All"),
    fieldValidation: q.get("fieldValidation") ?? "",
    ...(q.get("fieldManager") === null ? {} : { fieldManager: q.get("fieldManager")! }),
    user
  }
}

/**
 * A watch line. An event reaches every watcher with the same stored object, so
 * its line is encoded once (the object's JSON from the store's cache, the bytes
 * kept with the object) and the same Buffer is written to all of them.
 */
const lines = new WeakMap<object, { readonly type: string; readonly line: Buffer }>()
const eventLine = (type: string, object: unknown): Buffer => {
  if (typeof object !== "object" || object === null) return Buffer.from(`${JSON.stringify({ type, object })}\n`)
  const cached = lines.get(object)
  if (cached !== undefined && cached.type === type) return cached.line
  const line = Buffer.from(`{"type":${JSON.stringify(type)},"object":${serialized(object)}}\n`)
  lines.set(object, { type, line })
  return line
}

/** A List as JSON text, reusing each item's cached serialisation (LIST of 10,000 objects). */
const listText = (info: ResourceInfo, r: ListResult): string => {
  const metadata = { resourceVersion: r.resourceVersion, ...(r.continue === undefined ? {} : { continue: r.continue }) }
  return `{"apiVersion":${JSON.stringify(apiVersionOf(info))},"kind":${JSON.stringify(info.listKind)},"metadata":${
    JSON.stringify(metadata)
  },"items":[${r.items.map(serialized).join(",")}]}`
}

const sendList = (res: http.ServerResponse, info: ResourceInfo, r: ListResult) => {
  const text = listText(info, r)
  res.writeHead(200, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(text) })
  res.end(text)
}

export const makeHandler = (o: HttpOptions) => {
  const { api } = o
  const fork = Runtime.runFork(o.runtime)
  const settle = <A>(res: http.ServerResponse, exit: Exit.Exit<A, ApiError.ApiError>, onSuccess: (a: A) => void) => {
    if (Exit.isSuccess(exit)) {
      onSuccess(exit.value)
      return
    }
    const failure = Cause.failureOption(exit.cause)
    if (Option.isSome(failure)) {
      sendError(res, failure.value)
      return
    }
    Runtime.runSync(o.runtime)(Effect.logError(`request failed: ${Cause.pretty(exit.cause)}`))
    if (!res.headersSent) sendError(res, ApiError.internal("unexpected failure"))
    else res.destroy()
  }
  /**
   * Runs a request's effect on the daemon's runtime. Most requests finish
   * synchronously (a GET is a map lookup, a create one SQLite statement): an
   * effect that is already an Exit is answered inline, and a forked fiber that
   * completed while starting is answered at once; only a fiber that suspends
   * (admission calling out, a lock held) is observed. No promise or microtask
   * hop per request.
   */
  const run = <A>(res: http.ServerResponse, effect: Effect.Effect<A, ApiError.ApiError>, onSuccess: (a: A) => void) => {
    const answer = (exit: Exit.Exit<A, ApiError.ApiError>) => guard(res, () => settle(res, exit, onSuccess))
    if (Exit.isExit(effect)) return answer(effect as Exit.Exit<A, ApiError.ApiError>)
    const fiber = fork(effect)
    const done = fiber.unsafePoll()
    if (done !== null) return answer(done)
    fiber.addObserver(answer)
  }

  /** A synchronous bug in a handler answers 500 instead of crashing the daemon. */
  const guard = (res: http.ServerResponse, f: () => void): void => {
    try {
      f()
    } catch (e) {
      Runtime.runSync(o.runtime)(Effect.logError(`request failed: ${e instanceof Error ? e.stack ?? e.message : String(e)}`))
      if (!res.headersSent) sendError(res, ApiError.internal("unexpected failure"))
      else res.destroy()
    }
  }

  const isNamespaced = (g: string, v: string, r: string) => api.registry.find(g, v, r)?.namespaced === true

  const discovery = (path: string, accept: string | undefined, res: http.ServerResponse): boolean => {
    const parts = path.split("/").slice(1)
    const reg = api.registry
    if ((path === "/api" || path === "/apis") && Discovery.wantsAggregated(accept)) {
      const text = JSON.stringify(Discovery.aggregated(reg, path === "/api"))
      res.writeHead(200, { "Content-Type": Discovery.AggregatedContentType, "Content-Length": Buffer.byteLength(text) })
      res.end(text)
      return true
    }
    let doc: unknown
    if (path === "/api") doc = Discovery.apiVersions(o.address())
    else if (path === "/apis") doc = Discovery.apiGroupList(reg)
    else if (parts[0] === "api" && parts.length === 2) doc = Discovery.apiResourceList(reg, "", parts[1]!)
    else if (parts[0] === "apis" && parts.length === 2) doc = Discovery.apiGroupDoc(reg, parts[1]!)
    else if (parts[0] === "apis" && parts.length === 3) doc = Discovery.apiResourceList(reg, parts[1]!, parts[2]!)
    else if (path === "/openapi/v3") doc = OpenApi.root(reg)
    else if (parts[0] === "openapi" && parts[1] === "v3" && parts[2] === "api" && parts.length === 4) {
      doc = OpenApi.document(reg, "", parts[3]!)
    } else if (parts[0] === "openapi" && parts[1] === "v3" && parts[2] === "apis" && parts.length === 5) {
      doc = OpenApi.document(reg, parts[3]!, parts[4]!)
    } else return false
    if (doc === undefined) sendError(res, ApiError.pathNotFound())
    else send(res, 200, doc)
    return true
  }

  const resource = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    route: Extract<Routes.Route, { _tag: "Resource" }>,
    q: URLSearchParams,
    user: string,
    body: Body.Decoded | undefined
  ) => {
    const info = api.registry.find(route.group, route.version, route.resource)
    if (info === undefined) return sendError(res, ApiError.pathNotFound())
    if (info.source === "review") {
      if (req.method !== "POST" || route.name !== "" || route.subresource !== "") return sendError(res, methodNotAllowed)
      return run(res, Effect.flatMap(Body.object(body), (b) => AccessReviews.review(info, b as KubeObject, user)), (obj) => send(res, 201, obj))
    }
    if (info.source === "admission") return generated(req, res, info, route, q)
    const { namespace, name, subresource } = route
    if (subresource !== "" && !strategyFor(info).subresources.includes(subresource)) {
      return sendError(res, ApiError.pathNotFound())
    }
    if (info.namespaced && namespace === "" && req.method !== "GET") return sendError(res, ApiError.pathNotFound())
    const invalidQuery = queryError(q, req.method !== "GET")
    if (invalidQuery !== undefined) return sendError(res, invalidQuery)
    const table = Tables.wantsTable(req.headers.accept)
    const render = (obj: KubeObject) => (table ? Tables.forObjects(info, [obj], String(obj.metadata.resourceVersion ?? "")) : obj)
    const wo = writeOptions(q, user)
    switch (req.method) {
      case "GET": {
        if (name !== "") return run(res, api.get(info, namespace, name), (obj) => send(res, 200, render(obj)))
        const selectors = {
          ...(q.get("labelSelector") === null ? {} : { labelSelector: q.get("labelSelector")! }),
          ...(q.get("fieldSelector") === null ? {} : { fieldSelector: q.get("fieldSelector")! })
        }
        if (truthy(q.get("watch"))) return watch(res, info, namespace, q, selectors, table)
        const limit = intParam(q, "limit")
        return run(
          res,
          api.list(info, namespace, { ...selectors, ...(limit === undefined ? {} : { limit }), ...(q.get("continue") === null ? {} : { continue: q.get("continue")! }) }),
          (r) => (table ? send(res, 200, Tables.forObjects(info, r.items, r.resourceVersion, r.continue)) : sendList(res, info, r))
        )
      }
      case "POST":
        if (name !== "") return sendError(res, ApiError.methodNotAllowed(`POST on a named ${info.resource} is not allowed`))
        return run(res, Eager.flatMap(Body.object(body), (b) => api.create(info, namespace, b, wo)), (obj) => send(res, 201, obj))
      case "PUT": {
        const sub = subresource === "finalize" ? "" : subresource
        return run(res, Eager.flatMap(Body.object(body), (b) => api.update(info, namespace, name, b, wo, sub)), (obj) => send(res, 200, obj))
      }
      case "PATCH": {
        const contentType = req.headers["content-type"] ?? ""
        const force = truthy(q.get("force"))
        return run(
          res,
          Effect.flatMap(Body.value(body), (b) => api.patch(info, namespace, name, { contentType, body: b, force }, wo, subresource)),
          (r) => send(res, r.created ? 201 : 200, r.object)
        )
      }
      case "DELETE": {
        const opts = Body.deleteOptions(body, q)
        if (name === "") {
          return run(res, Effect.flatMap(opts, (d) =>
            api.deleteCollection(info, namespace, {
              ...(q.get("labelSelector") === null ? {} : { labelSelector: q.get("labelSelector")! }),
              ...(q.get("fieldSelector") === null ? {} : { fieldSelector: q.get("fieldSelector")! })
            }, d, wo)), (items) => sendList(res, info, { items, resourceVersion: String(api.store.revision()) }))
        }
        return run(res, Eager.flatMap(opts, (d) => api.delete(info, namespace, name, d, wo)), (obj) => send(res, 200, obj))
      }
      default:
        return sendError(res, ApiError.methodNotAllowed(`the server does not allow this method on the requested resource`))
    }
  }

  /** Objects generated from the admission chain: get, list and watch; every write is refused. */
  const generated = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    info: ResourceInfo,
    route: Extract<Routes.Route, { _tag: "Resource" }>,
    q: URLSearchParams
  ) => {
    if (req.method !== "GET") return sendError(res, WebhookConfigurations.readOnly(info))
    if (route.subresource !== "") return sendError(res, ApiError.pathNotFound())
    const invalidQuery = queryError(q, false)
    if (invalidQuery !== undefined) return sendError(res, invalidQuery)
    const table = Tables.wantsTable(req.headers.accept)
    const items = WebhookConfigurations.list(info, api.admission)
    const resourceVersion = String(api.store.revision())
    if (route.name !== "") {
      const obj = items.find((o) => o.metadata.name === route.name)
      if (obj === undefined) return sendError(res, ApiError.of(Status.notFound({ group: info.group, resource: info.resource }, route.name)))
      return send(res, 200, table ? Tables.forObjects(info, [obj], WebhookConfigurations.ResourceVersion) : obj)
    }
    const pred = Selectors.compile(q.get("labelSelector") ?? undefined, q.get("fieldSelector") ?? undefined, info)
    if (Either.isLeft(pred)) return sendError(res, pred.left)
    const selected = items.filter(pred.right)
    if (!truthy(q.get("watch"))) {
      return table ? send(res, 200, Tables.forObjects(info, selected, resourceVersion)) : sendList(res, info, { items: selected, resourceVersion })
    }
    // The objects do not change while the daemon runs: a watch from scratch sees them ADDED, a resumed one
    // sees nothing new; both stay open (as a real watch would) until the client leaves or timeoutSeconds.
    res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache" })
    res.flushHeaders()
    const rv = q.get("resourceVersion") ?? ""
    if (rv === "" || rv === "0") {
      selected.forEach((obj, i) =>
        res.write(table
          ? `${JSON.stringify({ type: "ADDED", object: Tables.forObjects(info, [obj], resourceVersion, undefined, i > 0) })}\n`
          : eventLine("ADDED", obj)))
    }
    const timeoutSeconds = intParam(q, "timeoutSeconds")
    if (timeoutSeconds !== undefined && timeoutSeconds > 0) {
      const timer = setTimeout(() => res.end(), timeoutSeconds * 1000).unref()
      res.on("close", () => clearTimeout(timer))
    }
  }

  const watch = (
    res: http.ServerResponse,
    info: ResourceInfo,
    namespace: string,
    q: URLSearchParams,
    selectors: { labelSelector?: string; fieldSelector?: string },
    table: boolean
  ) => {
    let started = false
    let firstTable = true
    const start = () => {
      if (started) return
      started = true
      res.writeHead(200, { "Content-Type": "application/json", "Transfer-Encoding": "chunked", "Cache-Control": "no-cache" })
      res.flushHeaders()
    }
    const timeoutSeconds = intParam(q, "timeoutSeconds")
    const sink: Watch.WatchSink = {
      send: (type, object) => {
        start()
        if (table && type !== "ERROR" && type !== "BOOKMARK") {
          const payload = Tables.forObjects(info, [object as KubeObject], String((object as KubeObject).metadata.resourceVersion ?? ""), undefined, !firstTable)
          firstTable = false
          res.write(`${JSON.stringify({ type, object: payload })}\n`)
        } else {
          res.write(eventLine(type, object))
        }
        return res.writableLength < WatchBacklogLimit
      },
      close: () => {
        start()
        res.end()
      }
    }
    const target = Views.watchTarget(info, {
      ...selectors,
      ...(q.get("resourceVersion") === null ? {} : { resourceVersion: q.get("resourceVersion")! }),
      allowWatchBookmarks: truthy(q.get("allowWatchBookmarks")),
      ...(timeoutSeconds === undefined ? {} : { timeoutSeconds })
    }, sink)
    run(res, Watch.open(api.store, target.info, namespace, target.q, target.sink), (cancel) => {
      start()
      res.on("close", cancel)
      if (res.destroyed) cancel()
    })
  }

  const handle = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const url = req.url ?? "/"
    const qi = url.indexOf("?")
    const path = (qi < 0 ? url : url.slice(0, qi)).replace(/\/+$/, "") || "/"
    const q = new URLSearchParams(qi < 0 ? "" : url.slice(qi + 1))
    switch (path) {
      case "/version":
        return send(res, 200, VersionInfo)
      case "/healthz":
      case "/livez":
        return sendText(res, 200, "ok")
      case "/readyz":
        return o.ready() ? sendText(res, 200, "ok") : sendText(res, 500, "[-]shutdown failed: reason withheld\nreadyz check failed")
    }
    const auth = req.headers.authorization
    const user = auth !== undefined && auth.startsWith("Bearer ") ? o.tokens.get(auth.slice(7).trim()) : undefined
    if (user === undefined) {
      req.resume()
      return send(res, 401, ApiError.of({ kind: "Status", apiVersion: "v1", metadata: {}, status: "Failure", message: "Unauthorized", reason: "Unauthorized", code: 401 }).status)
    }
    if (req.method === "GET" && discovery(path, req.headers.accept, res)) return
    const route = Routes.parse(path, isNamespaced)
    if (route._tag === "Other") {
      req.resume()
      return sendError(res, ApiError.pathNotFound())
    }
    if (req.method === "GET" || req.method === "HEAD") return resource(req, res, route, q, user, undefined)
    Body.read(req, BodyLimit, (result) => guard(res, () => {
      // no "Connection: close": Body drains the rest, so the client reads this answer
      if (result._tag === "TooLarge") {
        Body.lingerWhileDraining(req, res)
        return sendError(res, ApiError.tooLarge())
      }
      if (result._tag === "Error") return res.destroy()
      const decoded = Body.decode(req.headers["content-type"], result.data, YAML.parse)
      resource(req, res, route, q, user, decoded)
    }))
  }
  return (req: http.IncomingMessage, res: http.ServerResponse): void => guard(res, () => handle(req, res))
}

/**
 * The server's "checkContinue" listener: a body announced over the limit is
 * refused with 413 before the client sends it (the connection then closes, as
 * the body it announced never comes); any other request is told to continue.
 */
export const makeCheckContinue = (handler: http.RequestListener) =>
(req: http.IncomingMessage, res: http.ServerResponse): void => {
  if (Body.declaredTooLarge(req, BodyLimit)) {
    res.setHeader("Connection", "close")
    return sendError(res, ApiError.tooLarge())
  }
  res.writeContinue()
  handler(req, res)
}
