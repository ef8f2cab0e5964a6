/**
 * The write-throughput baseline: raw better-sqlite3 doing what one ConfigMap
 * create costs the store at least (src/controlplane/storage/Store.ts): one
 * transaction writing the object row and its watch-event row, WAL with the
 * store's own `synchronous` setting, on the same disk as the daemon's store (a
 * file in the same temp HOME). Daemon creates/s divided by this is the share
 * of the storage ceiling that the API path keeps.
 */
import { readFileSync } from "node:fs"
import { createRequire } from "node:module"
import * as path from "node:path"
import { repoRoot } from "../Proc.js"

interface Statement {
  run(...params: ReadonlyArray<unknown>): unknown
}
interface Database {
  pragma(source: string): unknown
  exec(source: string): unknown
  prepare(source: string): Statement
  transaction<F extends (...args: Array<never>) => unknown>(fn: F): F
  close(): void
}
type DatabaseCtor = new (file: string) => Database

const require = createRequire(import.meta.url)

/**
 * The store's `PRAGMA synchronous` mode, read from its source: it is a
 * per-connection setting that cannot be asked of the running daemon, and a
 * baseline with a different mode (FULL fsyncs every commit, NORMAL in WAL
 * does not) would be off by two orders of magnitude. FULL if not found.
 */
export const storeSynchronous = (): string => {
  try {
    const src = readFileSync(path.join(repoRoot, "src", "controlplane", "storage", "Store.ts"), "utf8")
    return /PRAGMA synchronous\s*=\s*([A-Z]+)/i.exec(src)?.[1]?.toUpperCase() ?? "FULL"
  } catch {
    return "FULL"
  }
}

export interface SqliteBaseline {
  readonly synchronous: string
  /** writes `count` rows (one transaction each) with the given body; returns the elapsed ms */
  readonly insert: (count: number, body: string) => number
  readonly close: () => void
}

export const openSqliteBaseline = (dir: string, synchronous = storeSynchronous()): SqliteBaseline => {
  const Ctor = require("better-sqlite3") as DatabaseCtor
  const db = new Ctor(path.join(dir, "baseline.sqlite3"))
  db.pragma("journal_mode = WAL")
  db.pragma(`synchronous = ${synchronous}`)
  db.exec("CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, rev INTEGER NOT NULL, body TEXT NOT NULL)")
  db.exec("CREATE TABLE IF NOT EXISTS events (rev INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)")
  const putObject = db.prepare("INSERT OR REPLACE INTO objects (key, rev, body) VALUES (?, ?, ?)")
  const putEvent = db.prepare("INSERT INTO events (rev, type, key, body, at) VALUES (?, ?, ?, ?, ?)")
  let rev = 0
  const write = db.transaction((key: string, body: string) => {
    rev++
    putObject.run(key, rev, body)
    putEvent.run(rev, "ADDED", key, body, Date.now())
  })
  return {
    synchronous,
    insert: (count, body) => {
      const t0 = process.hrtime.bigint()
      for (let i = 0; i < count; i++) write(`/configmaps/bench/cm-${rev + 1}`, body)
      return Number(process.hrtime.bigint() - t0) / 1e6
    },
    close: () => db.close()
  }
}
