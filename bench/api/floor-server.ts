/**
 * The API's physical floor (issue 15 item 4): the least a server must do to
 * create and get a ConfigMap durably over the same transport, run as its own
 * process like the daemon. Bare node:https with the daemon's own serving key
 * and certificate (FLOOR_KEY, FLOOR_CERT), no routing beyond splitting the
 * path, no auth, no validation:
 *
 *   POST /api/v1/namespaces/<ns>/configmaps         → reads the body, JSON.parse,
 *        one INSERT (the store's schema: the events row, whose trigger writes the
 *        objects row in the same statement), 201 with the body as received
 *   GET  /api/v1/namespaces/<ns>/configmaps/<name>  → one SELECT on the objects
 *        table's primary key, 200 with the stored text (404 when absent)
 *   GET  /api/v1/namespaces/<ns>/configmaps?watch=1  → the watch floor: a chunked
 *        200 kept open; every later create in <ns> writes its event line
 *        `{"type":"ADDED","object":<body>}` (encoded once, the same Buffer to
 *        every watcher) to all open watches of <ns>, inside the request that
 *        inserted it and before that request's 201, as the daemon does. No
 *        resume, selectors or bookmarks.
 *   GET  /api/v1/namespaces/<ns>/configmaps          → only `{"metadata":
 *        {"resourceVersion":…}}` (no items): the watch kernel reads just that
 *   GET  /fanouts → the server-side fan-out of each create that had watchers
 *        since the last such GET: the time from the first watcher's write to the
 *        last one's bytes handed to the kernel (what no client can shorten)
 *
 * The database is FLOOR_DB (a file in the daemon's temp HOME, so the same disk)
 * with the store's settings: journal_mode=WAL (@effect/sql-sqlite-node's
 * default), synchronous=FLOOR_SYNCHRONOUS (read from Store.ts by the bench),
 * busy_timeout=5000. The daemon's figure divided by this one is the share of
 * the floor that rdd keeps. Prints one JSON line {port} once listening; exits
 * on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs"
import type * as http from "node:http"
import * as https from "node:https"
import { createRequire } from "node:module"

interface Statement {
  run(...params: ReadonlyArray<unknown>): unknown
  pluck(on?: boolean): Statement
  get(...params: ReadonlyArray<unknown>): unknown
}
interface Database {
  pragma(source: string): unknown
  exec(source: string): unknown
  prepare(source: string): Statement
  close(): void
}
type DatabaseCtor = new (file: string) => Database

const env = (name: string): string => {
  const v = process.env[name]
  if (v === undefined) throw new Error(`${name} is not set (FLOOR_KEY, FLOOR_CERT, FLOOR_DB, FLOOR_SYNCHRONOUS)`)
  return v
}
const keyPem = readFileSync(env("FLOOR_KEY"))
const certPem = readFileSync(env("FLOOR_CERT"))
const synchronous = env("FLOOR_SYNCHRONOUS")
if (!/^[A-Z]+$/i.test(synchronous)) throw new Error(`FLOOR_SYNCHRONOUS: ${synchronous}`)

const Ctor = createRequire(import.meta.url)("better-sqlite3") as DatabaseCtor
const db = new Ctor(env("FLOOR_DB"))
db.pragma("journal_mode = WAL")
db.pragma(`synchronous = ${synchronous}`)
db.pragma("busy_timeout = 5000")
db.exec("CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, rev INTEGER NOT NULL, body TEXT NOT NULL)")
db.exec("CREATE TABLE IF NOT EXISTS events (rev INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)")
db.exec(
  "CREATE TRIGGER IF NOT EXISTS events_put AFTER INSERT ON events BEGIN " +
    "INSERT OR REPLACE INTO objects (key, rev, body) VALUES (NEW.key, NEW.rev, NEW.body); END"
)
const insert = db.prepare("INSERT INTO events (rev, type, key, body, at) VALUES (?, 'ADDED', ?, ?, ?)")
const select = db.prepare("SELECT body FROM objects WHERE key = ?").pluck()
let rev = 0
/**
 * Server-side fan-out of each create that had watchers: from before the first
 * watcher's write to the last watcher's bytes handed to the kernel (TLS record
 * encrypted, socket written). Read (and cleared) with GET /fanouts.
 */
const FanOutPath = "/fanouts"
const fanOuts: Array<{ name: string; watchers: number; ms: number }> = []
/** open watch responses per namespace */
const watchers = new Map<string, Set<http.ServerResponse>>()

const Prefix = "/api/v1/namespaces/"
const Missing = Buffer.from("{\"kind\":\"Status\",\"code\":404}")

const server = https.createServer({ key: keyPem, cert: certPem, keepAliveTimeout: 60_000 }, (req, res) => {
  const answer = (status: number, body: string | Buffer) => {
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
    res.end(body)
  }
  const url = req.url ?? "/"
  if (req.method === "GET" && url === FanOutPath) {
    // the fan-outs recorded since the last read, then forgotten
    return answer(200, JSON.stringify({ fanOuts: fanOuts.splice(0) }))
  }
  // /api/v1/namespaces/<ns>/configmaps[/<name>]
  const parts = url.startsWith(Prefix) ? url.slice(Prefix.length).split("/") : []
  if (parts.length < 2 || !(parts[1] === "configmaps" || (parts.length === 2 && parts[1]!.startsWith("configmaps?")))) {
    req.resume()
    return answer(404, Missing)
  }
  const namespace = parts[0]!
  if (req.method === "GET" && parts.length === 2) {
    const qi = parts[1]!.indexOf("?")
    if (qi < 0 || !/(^|&)watch=(1|true)(&|$)/.test(parts[1]!.slice(qi + 1))) {
      return answer(200, `{"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"${rev}"},"items":[]}`)
    }
    res.writeHead(200, { "content-type": "application/json", "transfer-encoding": "chunked", "cache-control": "no-cache" })
    res.flushHeaders()
    let set = watchers.get(namespace)
    if (set === undefined) watchers.set(namespace, set = new Set())
    const own = set
    own.add(res)
    res.on("close", () => own.delete(res))
    return
  }
  if (req.method === "GET" && parts.length === 3) {
    const body = select.get(`/configmaps/${namespace}/${parts[2]}`) as string | undefined
    return body === undefined ? answer(404, Missing) : answer(200, body)
  }
  if (req.method !== "POST" || parts.length !== 2 || parts[1] !== "configmaps") {
    req.resume()
    return answer(405, Missing)
  }
  const chunks: Array<Buffer> = []
  req.on("data", (c: Buffer) => chunks.push(c))
  req.on("end", () => {
    const text = Buffer.concat(chunks).toString("utf8")
    let name: unknown
    try {
      name = (JSON.parse(text) as { metadata?: { name?: unknown } }).metadata?.name
    } catch {
      return answer(400, Missing)
    }
    if (typeof name !== "string") return answer(400, Missing)
    insert.run(++rev, `/configmaps/${namespace}/${name}`, text, Date.now())
    const set = watchers.get(namespace)
    if (set !== undefined && set.size > 0) {
      const line = Buffer.from(`{"type":"ADDED","object":${text}}\n`)
      const t0 = process.hrtime.bigint()
      for (const w of set) w.write(line)
      // node:http corks each response on its first write in a tick and uncorks it
      // (the TLS write and the syscall) in a nextTick; a nextTick queued after the
      // loop runs after all of them, before the 201's own.
      const watchersNow = set.size
      process.nextTick(() => fanOuts.push({ name, watchers: watchersNow, ms: Number(process.hrtime.bigint() - t0) / 1e6 }))
    }
    answer(201, text)
  })
})
server.listen(0, "127.0.0.1", () => {
  const address = server.address()
  const port = typeof address === "object" && address !== null ? address.port : 0
  process.stdout.write(`${JSON.stringify({ port })}\n`)
})
const stop = () => {
  server.closeAllConnections()
  server.close(() => {
    db.close()
    process.exit(0)
  })
}
process.once("SIGINT", stop)
process.once("SIGTERM", stop)
