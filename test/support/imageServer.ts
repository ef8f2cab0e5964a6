/**
 * A local HTTP server for image-cache tests: serves byte bodies on 127.0.0.1, counts
 * and records every request (path, Range, If-Range), answers ranges with 206 unless
 * told not to, and lets a test script the first responses (cut the body half way,
 * stall it until released).
 */
import * as http from "node:http"
import type { AddressInfo } from "node:net"

export interface Seen {
  readonly path: string
  readonly range: string | undefined
  readonly ifRange: string | undefined
}

/** Answers one request itself (returns true), or leaves it to the normal serving (false). */
export type Script = (req: http.IncomingMessage, res: http.ServerResponse, index: number) => boolean

export interface ImageServer {
  readonly url: (p: string) => string
  readonly requests: Array<Seen>
  /** path → body */
  readonly files: Map<string, Buffer>
  ranges: boolean
  /** called first for every request; returns true when it answered */
  script: Script | undefined
  readonly close: () => Promise<void>
}

export const Etag = "\"v1\""

const serveFile = (server: ImageServer, req: http.IncomingMessage, res: http.ServerResponse, body: Buffer) => {
  const range = /^bytes=([0-9]+)-$/.exec(req.headers.range ?? "")
  const ifRange = req.headers["if-range"]
  if (server.ranges && range !== null && (ifRange === undefined || ifRange === Etag)) {
    const start = Number(range[1])
    if (start >= body.length) {
      res.writeHead(416, { "content-range": `bytes */${body.length}` }).end()
      return
    }
    res.writeHead(206, {
      "content-length": body.length - start,
      "content-range": `bytes ${start}-${body.length - 1}/${body.length}`,
      etag: Etag
    })
    res.end(body.subarray(start))
    return
  }
  res.writeHead(200, { "content-length": body.length, etag: Etag, ...(server.ranges ? { "accept-ranges": "bytes" } : {}) })
  res.end(body)
}

export const start = async (): Promise<ImageServer> => {
  const httpServer = http.createServer()
  let port = 0
  const state: ImageServer = {
    url: (p: string) => `http://127.0.0.1:${port}${p}`,
    requests: [],
    files: new Map(),
    ranges: true,
    script: undefined,
    close: async () => {
      httpServer.closeAllConnections()
      await new Promise<void>((resolve) => httpServer.close(() => resolve()))
    }
  }
  httpServer.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    const index = state.requests.length
    state.requests.push({
      path: req.url ?? "",
      range: req.headers.range,
      ifRange: typeof req.headers["if-range"] === "string" ? req.headers["if-range"] : undefined
    })
    if (state.script?.(req, res, index) === true) return
    const body = state.files.get(req.url ?? "")
    if (body === undefined) {
      res.writeHead(404, { "content-type": "text/plain" }).end("no such image")
      return
    }
    serveFile(state, req, res, body)
  })
  await new Promise<void>((resolve) => httpServer.listen(0, "127.0.0.1", () => resolve()))
  port = (httpServer.address() as AddressInfo).port
  return state
}
