/**
 * The control plane's store: SQLite (WAL, synchronous=NORMAL) is the durable truth,
 * and an in-memory index of every object serves reads, so GET and LIST never touch
 * the disk. Every write gets the next value of ONE global revision counter (the
 * resourceVersion), is committed with its watch event in one transaction before
 * the caller sees success, and is
 * then published to watchers. The event history is kept for a bounded window
 * (SPEC 3.5: the last 10,000 revisions or 5 minutes, whichever is larger) and
 * compacted after that; a watch from before the window gets 410 Gone.
 * Writers serialise through one write lock: `commitIf` checks and commits under it, so
 * read-check-write is atomic.
 */
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Exit from "effect/Exit"
import * as Schedule from "effect/Schedule"
import { createRequire } from "node:module"
import type { KubeObject } from "../../domain/KubeObject.js"
import * as Eager from "../Eager.js"
import * as WriteLock from "./WriteLock.js"

/**
 * SQLite refused a statement (e.g. a full disk). Storage's own failure: the API
 * layer above says how it looks on the wire (ApiError.fromStorage).
 */
export class StorageFailed extends Data.TaggedError("StorageFailed")<{
  /** what failed, with the cause SQLite reported */
  readonly message: string
}> {}

/** The events after `requested` were compacted: a watch from there cannot resume. */
export class HistoryCompacted extends Data.TaggedError("HistoryCompacted")<{
  readonly requested: number
  readonly compacted: number
}> {}

export type StorageError = StorageFailed | HistoryCompacted

export type EventType = "ADDED" | "MODIFIED" | "DELETED"

/** Which collection an object lives in: API group and plural resource. */
export interface Collection {
  readonly group: string
  readonly resource: string
}

export interface StoredEvent {
  readonly rev: number
  readonly type: EventType
  readonly collection: string
  readonly namespace: string
  readonly name: string
  /** the object as of this revision (for DELETED: its last state, with rv = rev) */
  readonly object: KubeObject
  /** the object before this event, when known (live events only; lets watches see selector transitions) */
  readonly prev?: KubeObject
}

export interface WriteOp {
  readonly type: EventType
  readonly collection: Collection
  readonly namespace: string
  readonly name: string
  /** the object to store; its metadata.resourceVersion is set by the store */
  readonly object: KubeObject
}

export const collectionKey = (c: Collection): string => `${c.group}/${c.resource}`
const objectKey = (namespace: string, name: string): string => `${namespace}/${name}`

export interface HistoryWindow {
  readonly revisions: number
  readonly millis: number
}
export const DefaultWindow: HistoryWindow = { revisions: 10_000, millis: 5 * 60_000 }

export interface StoreShape {
  /** the latest committed revision */
  readonly revision: () => number
  /** revisions at or below this were compacted: a watch from before it gets 410 */
  readonly compacted: () => number
  readonly get: (c: Collection, namespace: string, name: string) => KubeObject | undefined
  /** objects of a collection, optionally one namespace, sorted by namespace then name */
  readonly list: (c: Collection, namespace?: string) => ReadonlyArray<KubeObject>
  readonly count: (c: Collection) => number
  /** serialises read-check-write sequences of all writers */
  readonly withWriteLock: <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  /**
   * The one way to write: takes the write lock and commits ops atomically (one revision
   * each) if `unchanged()` still holds then, returning the stored objects; undefined
   * when it does not (the caller recomputes its write). Eager (Eager.ts): when the lock
   * is free and the store writes synchronously, the commit happens during the call and
   * the result is an Exit; otherwise the returned effect waits for the lock.
   */
  readonly commitIf: (
    unchanged: () => boolean,
    ops: ReadonlyArray<WriteOp>
  ) => Effect.Effect<ReadonlyArray<KubeObject> | undefined, StorageFailed>
  /** events after `rev`, oldest first; 410 when compacted */
  readonly history: (rev: number) => Effect.Effect<ReadonlyArray<StoredEvent>, StorageError>
  /** synchronous listener for every committed event (watch fan-out); returns an unsubscribe */
  readonly subscribe: (listener: (e: StoredEvent) => void) => () => void
  /** drops history older than the window now (it also runs every 30 seconds) */
  readonly compact: Effect.Effect<void>
  /** moves the WAL into the main file (clean shutdown) */
  readonly checkpoint: Effect.Effect<void>
}

export class Store extends Context.Tag("rdd/controlplane/Store")<Store, StoreShape>() {}

interface Row {
  readonly key: string
  readonly rev: number
  readonly body: string
}
interface EventRow extends Row {
  readonly type: EventType
}

const splitKey = (key: string): { collection: string; namespace: string; name: string } => {
  // key = group/resource/namespace/name; group may be "" but never contains "/"
  const parts = key.split("/")
  return { collection: `${parts[0]}/${parts[1]}`, namespace: parts[2] ?? "", name: parts.slice(3).join("/") }
}

/**
 * Stored objects are immutable values, and most are sent many times (GETs, LISTs,
 * every watcher): their JSON text is computed once, when written.
 */
const texts = new WeakMap<object, string>()
export const serialized = (o: object): string => {
  let t = texts.get(o)
  if (t === undefined) {
    t = JSON.stringify(o)
    texts.set(o, t)
  }
  return t
}

const withRv = (o: KubeObject, rev: number): KubeObject => ({
  ...o,
  metadata: { ...o.metadata, resourceVersion: String(rev) }
})

/** A store failure that names the cause SQLite reported (e.g. a full disk). */
const storageError = (e: { readonly message: string; readonly cause?: unknown }): StorageFailed => {
  const cause = e.cause as { readonly code?: unknown; readonly message?: unknown } | undefined
  const detail = typeof cause?.message === "string" ? `: ${cause.message}` : ""
  const code = typeof cause?.code === "string" ? ` (${cause.code})` : ""
  return new StorageFailed({ message: `storage: ${e.message}${detail}${code}` })
}

/** The part of better-sqlite3 the commit path uses (the package ships no types). */
interface Statement {
  run(...params: ReadonlyArray<unknown>): unknown
}
interface Database {
  pragma(source: string): unknown
  prepare(source: string): Statement
  close(): void
}

/**
 * The commit's own connection to the store's file: one prepared INSERT run
 * straight through better-sqlite3. Through @effect/sql every statement also
 * costs a span, a scope, the connection semaphore and a prepared-statement
 * Cache lookup (each an Effect); a commit is the one statement of every write,
 * so it skips them. Undefined for an in-memory database (a second connection
 * would see another database): commits then go through @effect/sql.
 * The connection's settings are the store's (synchronous is per connection).
 */
const openWriter = (filename: string): Database | undefined => {
  if (filename === "" || filename === ":memory:" || filename.startsWith("file:")) return undefined
  const Ctor = createRequire(import.meta.url)("better-sqlite3") as new(file: string) => Database
  const db = new Ctor(filename)
  db.pragma("synchronous = NORMAL")
  db.pragma("busy_timeout = 5000")
  return db
}

const insertText = (rows: number) => `INSERT INTO events (rev, type, key, body, at) VALUES ${Array.from({ length: rows }, () => "(?, ?, ?, ?, ?)").join(", ")}`

/** Keeps at least this many recent events (at most twice as many) in memory so most watches resume without a query. */
const RingSize = 1024

export const make = (window: HistoryWindow = DefaultWindow) =>
  Effect.gen(function*() {
    const sql = yield* SqliteClient.SqliteClient
    // WAL + NORMAL: a commit is in the WAL (the OS page cache) before it returns, so a
    // kill -9 right after a 2xx loses nothing; only a power loss may drop the last commits.
    // FULL would fsync every commit (measured ~4 ms each here: 250 writes/s instead of 10,000).
    yield* sql.unsafe("PRAGMA synchronous = NORMAL")
    yield* sql.unsafe("PRAGMA busy_timeout = 5000")
    yield* sql.unsafe("CREATE TABLE IF NOT EXISTS objects (key TEXT PRIMARY KEY, rev INTEGER NOT NULL, body TEXT NOT NULL)")
    yield* sql.unsafe(
      "CREATE TABLE IF NOT EXISTS events (rev INTEGER PRIMARY KEY, type TEXT NOT NULL, key TEXT NOT NULL, body TEXT NOT NULL, at INTEGER NOT NULL)"
    )
    yield* sql.unsafe("CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v INTEGER NOT NULL)")
    // One INSERT into events is the whole write: the triggers keep `objects` in step inside
    // the same statement, so every commit is atomic without an explicit transaction (each
    // statement costs ~0.1 ms through @effect/sql; BEGIN/COMMIT would triple that; see openWriter).
    yield* sql.unsafe(
      "CREATE TRIGGER IF NOT EXISTS events_put AFTER INSERT ON events WHEN NEW.type != 'DELETED' BEGIN " +
        "INSERT OR REPLACE INTO objects (key, rev, body) VALUES (NEW.key, NEW.rev, NEW.body); END"
    )
    yield* sql.unsafe(
      "CREATE TRIGGER IF NOT EXISTS events_delete AFTER INSERT ON events WHEN NEW.type = 'DELETED' BEGIN " +
        "DELETE FROM objects WHERE key = NEW.key; END"
    )

    const memory = new Map<string, Map<string, KubeObject>>()
    const bucket = (collection: string): Map<string, KubeObject> => {
      let b = memory.get(collection)
      if (b === undefined) {
        b = new Map()
        memory.set(collection, b)
      }
      return b
    }
    const rows = yield* sql.unsafe<Row>("SELECT key, rev, body FROM objects")
    let revision = 0
    for (const r of rows) {
      const k = splitKey(r.key)
      bucket(k.collection).set(objectKey(k.namespace, k.name), withRv(JSON.parse(r.body) as KubeObject, r.rev))
      revision = Math.max(revision, r.rev)
    }
    const maxEvent = yield* sql.unsafe<{ m: number | null }>("SELECT max(rev) AS m FROM events")
    revision = Math.max(revision, maxEvent[0]?.m ?? 0)
    const metaRows = yield* sql.unsafe<{ k: string; v: number }>("SELECT k, v FROM meta")
    let compacted = metaRows.find((r) => r.k === "compacted")?.v ?? 0
    revision = Math.max(revision, metaRows.find((r) => r.k === "revision")?.v ?? 0, compacted)

    // opened after the tables exist; closed with the store
    const writer = yield* Effect.acquireRelease(Effect.sync(() => openWriter(sql.config.filename)), (db) => Effect.sync(() => db?.close()))
    const inserts = new Map<number, Statement>()
    const insert = (params: ReadonlyArray<unknown>, rows: number): Effect.Effect<void, StorageFailed> => {
      if (writer === undefined) return Effect.asVoid(sql.unsafe(insertText(rows), params).pipe(Effect.mapError(storageError)))
      try {
        let statement = inserts.get(rows)
        if (statement === undefined) inserts.set(rows, statement = writer.prepare(insertText(rows)))
        statement.run(...params)
        return Effect.void
      } catch (cause) {
        return Effect.fail(storageError({ message: "Failed to execute statement", cause }))
      }
    }

    /**
     * When revisions were committed, one entry per second with commits (its last
     * revision and that commit's time), oldest first: what compaction needs from
     * the events' `at` column without reading the table. A query for the newest
     * event older than the window scanned every event since the last compaction,
     * every 30 seconds, and filled SQLite's page cache (16 MB in better-sqlite3's
     * build) in one step. Seeded with the revision found at open: every event up to
     * it was committed before now. Holds at most one entry per second since the
     * last compaction.
     */
    const stamps: Array<{ rev: number; at: number }> = revision > compacted ? [{ rev: revision, at: Date.now() }] : []
    const stamp = (rev: number, at: number) => {
      const last = stamps[stamps.length - 1]
      if (last !== undefined && Math.floor(last.at / 1000) === Math.floor(at / 1000)) {
        last.rev = rev
        last.at = Math.max(last.at, at)
      } else stamps.push({ rev, at })
    }

    const ring: Array<StoredEvent> = []
    const listeners = new Set<(e: StoredEvent) => void>()
    const lock = WriteLock.make()

    /** Makes committed events visible; the listeners that threw are logged after, never failing the write. */
    const publish = (events: ReadonlyArray<StoredEvent>): Effect.Effect<ReadonlyArray<KubeObject>> => {
      for (const e of events) {
        revision = e.rev
        const b = bucket(e.collection)
        const k = objectKey(e.namespace, e.name)
        if (e.type === "DELETED") b.delete(k)
        else b.set(k, e.object)
        ring.push(e)
      }
      // trimmed in batches: a splice per commit moved the whole ring each time (0.4% of a create)
      if (ring.length >= 2 * RingSize) ring.splice(0, ring.length - RingSize)
      const failures: Array<string> = []
      for (const e of events) {
        for (const l of listeners) {
          try {
            l(e)
          } catch (error) {
            // a broken watcher must neither fail a committed write nor starve the others
            failures.push(error instanceof Error ? error.message : String(error))
          }
        }
      }
      const objects = events.map((e) => e.object)
      return failures.length === 0
        ? Exit.succeed(objects)
        : Effect.as(Effect.forEach(failures, (m) => Effect.logWarning(`store listener failed: ${m}`), { discard: true }), objects)
    }

    /** The commit, run now; the caller holds the write lock (synchronously, or for the effect's run). */
    const commitNow = (ops: ReadonlyArray<WriteOp>): Effect.Effect<ReadonlyArray<KubeObject>, StorageFailed> => {
      const now = Date.now()
      const events: Array<StoredEvent> = ops.map((op, i) => {
        const rev = revision + 1 + i
        const collection = collectionKey(op.collection)
        const prev = memory.get(collection)?.get(objectKey(op.namespace, op.name))
        return {
          rev,
          type: op.type,
          collection,
          namespace: op.namespace,
          name: op.name,
          object: withRv(op.object, rev),
          ...(prev === undefined ? {} : { prev })
        }
      })
      const params = events.flatMap((e) => [e.rev, e.type, `${e.collection}/${e.namespace}/${e.name}`, serialized(e.object), now])
      // Durable first, then visible.
      return Eager.flatMap(insert(params, events.length), () => {
        stamp(events[events.length - 1]!.rev, now)
        return publish(events)
      })
    }

    const commitIf: StoreShape["commitIf"] = (unchanged, ops) => {
      const attempt = () => (unchanged() ? commitNow(ops) : Exit.succeed(undefined))
      // Only the commit's own connection writes synchronously; through @effect/sql the commit suspends.
      if (writer !== undefined) {
        const now = lock.tryNow(attempt)
        if (now !== undefined) return now.value
      }
      return lock.withLock(Effect.suspend(attempt))
    }

    const history = (rev: number) =>
      Effect.gen(function*() {
        if (rev < compacted) {
          return yield* Effect.fail(new HistoryCompacted({ requested: rev, compacted }))
        }
        if (rev >= revision) return []
        const first = ring[0]
        if (first !== undefined && first.rev <= rev + 1) return ring.filter((e) => e.rev > rev)
        const rows = yield* sql<EventRow>`SELECT rev, type, key, body FROM events WHERE rev > ${rev} AND rev <= ${revision} ORDER BY rev`
          .pipe(Effect.mapError(storageError))
        return rows.map((r): StoredEvent => {
          const k = splitKey(r.key)
          return { rev: r.rev, type: r.type, ...k, object: withRv(JSON.parse(r.body) as KubeObject, r.rev) }
        })
      })

    const compact = Effect.gen(function*() {
      const floorRev = revision - window.revisions
      if (floorRev <= compacted) return
      const cutoff = Date.now() - window.millis
      // the newest stamp older than the window: every event up to its revision is older still
      let old: number | undefined
      for (const st of stamps) {
        if (st.at > cutoff) break
        old = st.rev
      }
      if (old === undefined) return
      const upTo = Math.min(old, floorRev)
      if (upTo <= compacted) return
      yield* sql.withTransaction(Effect.zipRight(
        sql`DELETE FROM events WHERE rev <= ${upTo}`,
        sql`INSERT OR REPLACE INTO meta (k, v) VALUES ('compacted', ${upTo}), ('revision', ${revision})`
      ))
      compacted = upTo
      // the first stamp above the compacted revisions still dates the ones after them
      const firstKept = stamps.findIndex((st) => st.rev > upTo)
      stamps.splice(0, firstKept < 0 ? stamps.length : firstKept)
    }).pipe(
      // under the write lock: the commit's connection never meets this transaction (it would wait on SQLite's lock)
      lock.withLock,
      Effect.catchAll((e) => Effect.logWarning(`compaction failed: ${e.message}`))
    )
    yield* Effect.forkScoped(Effect.repeat(compact, Schedule.spaced("30 seconds")))

    const checkpoint = sql.unsafe("PRAGMA wal_checkpoint(TRUNCATE)").pipe(
      Effect.zipRight(Effect.suspend(() => sql`INSERT OR REPLACE INTO meta (k, v) VALUES ('revision', ${revision})`)),
      lock.withLock,
      Effect.asVoid,
      Effect.catchAll((e) => Effect.logWarning(`checkpoint failed: ${e.message}`))
    )

    const sorted = (b: Map<string, KubeObject>, namespace?: string): ReadonlyArray<KubeObject> => {
      const keys = [...b.keys()]
      const selected = namespace === undefined ? keys : keys.filter((k) => k.startsWith(`${namespace}/`))
      selected.sort()
      return selected.map((k) => b.get(k)!)
    }

    return Store.of({
      revision: () => revision,
      compacted: () => compacted,
      get: (c, namespace, name) => memory.get(collectionKey(c))?.get(objectKey(namespace, name)),
      list: (c, namespace) => {
        const b = memory.get(collectionKey(c))
        return b === undefined ? [] : sorted(b, namespace)
      },
      count: (c) => memory.get(collectionKey(c))?.size ?? 0,
      withWriteLock: lock.withLock,
      commitIf,
      history,
      subscribe: (listener) => {
        listeners.add(listener)
        return () => listeners.delete(listener)
      },
      compact,
      checkpoint
    })
  })

export const layer = (window?: HistoryWindow) => Layer.scoped(Store, make(window))
