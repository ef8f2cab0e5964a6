/**
 * The request-overhead baseline: a bare node:https server (run as its own
 * process, like the daemon) that answers fixed bodies. Same TLS as the daemon
 * (its own serving key and certificate, passed as BARE_KEY and BARE_CERT),
 * same loopback, same keep-alive; it does no routing, auth, storage or
 * encoding, so the daemon's figure divided by this one is what rdd's API
 * layers cost per request. Started and stopped by BareServer.ts.
 *
 *   GET  /fixed        → 200 with a ConfigMap-sized JSON body
 *   POST /fixed        → reads the body, 201 with the same fixed body
 *   GET  /bytes/<n>    → 200 with an n-byte JSON body (the LIST baseline)
 *
 * Prints one JSON line {port} on stdout once listening; exits on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs"
import * as https from "node:https"

const keyFile = process.env["BARE_KEY"]
const certFile = process.env["BARE_CERT"]
if (keyFile === undefined || certFile === undefined) throw new Error("BARE_KEY and BARE_CERT name the TLS key and certificate (PEM)")
const keyPem = readFileSync(keyFile)
const certPem = readFileSync(certFile)

const fixedSize = Number(process.env["BARE_FIXED_BYTES"] ?? "600")
const fixed = Buffer.from(JSON.stringify({ kind: "ConfigMap", apiVersion: "v1", data: { pad: "x".repeat(Math.max(0, fixedSize - 60)) } }))
const sized = new Map<number, Buffer>()
const bytes = (n: number): Buffer => {
  let b = sized.get(n)
  if (b === undefined) {
    b = Buffer.alloc(n, 0x20)
    b.write("{\"items\":[]}")
    sized.set(n, b)
  }
  return b
}

const server = https.createServer({ key: keyPem, cert: certPem, keepAliveTimeout: 60_000 }, (req, res) => {
  const answer = (status: number, body: Buffer) => {
    res.writeHead(status, { "content-type": "application/json", "content-length": body.length })
    res.end(body)
  }
  req.on("data", () => undefined)
  req.on("end", () => {
    const url = req.url ?? "/"
    if (url === "/fixed") answer(req.method === "POST" ? 201 : 200, fixed)
    else if (url.startsWith("/bytes/")) answer(200, bytes(Math.min(Number(url.slice(7)) || 0, 512 * 2 ** 20)))
    else answer(404, Buffer.from("{}"))
  })
})
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  process.stdout.write(`${JSON.stringify({ port })}\n`)
})
const stop = () => {
  server.closeAllConnections()
  server.close(() => process.exit(0))
}
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
