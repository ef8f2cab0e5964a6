/**
 * The instance lock (SPEC 2.7): exactly one daemon per instance, crash-safe and
 * without check-then-write. SQLite in exclusive locking mode holds a POSIX fcntl
 * write lock on `rdd.lock` inside a transaction that is never committed; the
 * kernel drops the lock when the process dies, so a crashed daemon never leaves a
 * stale lock behind, and a second daemon fails at once (busy timeout 0).
 */
import * as Effect from "effect/Effect"
import { createRequire } from "node:module"

interface LockDb {
  pragma(source: string): unknown
  exec(source: string): void
  close(): void
}
type LockDbConstructor = new (file: string) => LockDb

export class LockHeld extends Error {}

/** Acquires the lock for the life of the scope; fails with LockHeld when another process holds it. */
export const acquire = (file: string) =>
  Effect.acquireRelease(
    Effect.try({
      try: () => {
        const require = createRequire(import.meta.url)
        const Database = require("better-sqlite3") as LockDbConstructor
        const db = new Database(file)
        try {
          db.pragma("busy_timeout = 0")
          db.pragma("locking_mode = EXCLUSIVE")
          db.exec("BEGIN EXCLUSIVE")
        } catch (e) {
          db.close()
          if ((e as { code?: string }).code === "SQLITE_BUSY") throw new LockHeld(`${file} is locked`)
          throw e
        }
        return db
      },
      catch: (e) => (e instanceof LockHeld ? e : new Error(`cannot lock ${file}: ${(e as Error).message}`))
    }),
    (db) => Effect.sync(() => db.close())
  )
