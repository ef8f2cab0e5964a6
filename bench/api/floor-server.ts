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
 *
 * The database is FLOOR_DB (a file in the daemon's temp HOME, so the same disk)
 * with the store's settings: journal_mode=WAL (@effect/sql-sqlite-node's
 * default), synchronous=FLOOR_SYNCHRONOUS (read from Store.ts by the bench),
 * busy_timeout=5000. The daemon's figure divided by this one is the share of
 * the floor that rdd keeps. Prints one JSON line {port} once listening; exits
 * on SIGINT/SIGTERM.
 */
import { readFileSync } from "node:fs"
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

const Prefix = "/api/v1/namespaces/"
const Missing = Buffer.from("{\"kind\":\"Status\",\"code\":404}")

const server = https.createServer({ key: keyPem, cert: certPem, keepAliveTimeout: 60_000 }, (req, res) => {
  const answer = (status: number, body: string | Buffer) => {
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
    res.end(body)
  }
  const url = req.url ?? "/"
  // /api/v1/namespaces/<ns>/configmaps[/<name>]
  const parts = url.startsWith(Prefix) ? url.slice(Prefix.length).split("/") : []
  if (parts.length < 2 || parts[1] !== "configmaps") {
    req.resume()
    return answer(404, Missing)
  }
  const namespace = parts[0]!
  if (req.method === "GET" && parts.length === 3) {
    const body = select.get(`/configmaps/${namespace}/${parts[2]}`) as string | undefined
    return body === undefined ? answer(404, Missing) : answer(200, body)
  }
  if (req.method !== "POST" || parts.length !== 2) {
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
