/**
 * A tiny HTTP server on 127.0.0.1 for the image-cache figure: serves files
 * from disk by streaming (the cloud guest's base disk is ~420 MB, not worth
 * holding in memory) and counts requests per path, so the bench can tell a
 * cache hit (no new request) from a second download. Closed with its scope.
 */
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { Effect } from "effect"

export interface FileServer {
  readonly url: (p: string) => string
  /** request path → number of requests seen */
  readonly requests: Map<string, number>
}

/** Serves `files` (URL path → file on disk) until the scope closes. */
export const serve = (files: ReadonlyMap<string, string>) =>
  Effect.acquireRelease(
    Effect.async<{ readonly server: http.Server; readonly state: FileServer }>((resume) => {
      const requests = new Map<string, number>()
      const server = http.createServer((req, res) => {
        const p = req.url ?? ""
        requests.set(p, (requests.get(p) ?? 0) + 1)
        const file = files.get(p)
        if (file === undefined) {
          res.writeHead(404, { "content-type": "text/plain" }).end("no such file")
          return
        }
        res.writeHead(200, { "content-length": fs.statSync(file).size })
        fs.createReadStream(file).pipe(res)
      })
      server.listen(0, "127.0.0.1", () => {
        const port = (server.address() as AddressInfo).port
        resume(Effect.succeed({ server, state: { url: (p: string) => `http://127.0.0.1:${port}${p}`, requests } }))
      })
    }),
    ({ server }) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map(({ state }) => state))
