/**
 * `PRAGMA integrity_check` on a store file, run by better-sqlite3 itself with the
 * daemon gone: "ok" or SQLite's list of problems.
 */
import { createRequire } from "node:module"

/** better-sqlite3 has no bundled types (and none are installed): the two calls used here. */
interface Sqlite {
  pragma(source: string, options: { simple: true }): unknown
  close(): void
}
const Database = createRequire(import.meta.url)("better-sqlite3") as new (file: string, options: { fileMustExist: boolean }) => Sqlite

export const integrity = (db: string): string => {
  const conn = new Database(db, { fileMustExist: true })
  try {
    return conn.pragma("integrity_check", { simple: true }) as string
  } finally {
    conn.close()
  }
}
