/**
 * Watches, independent of transport: subscribe to the store first (buffering),
 * then replay what the client has not seen (the current objects as ADDED when no
 * resourceVersion is given, else the history after it), then go live, never
 * sending an event twice or skipping one. A watcher whose sink reports overload
 * is closed (the client resumes from its last resourceVersion): a slow watcher
 * never blocks writers or other watchers.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type { KubeObject } from "../../domain/KubeObject.js"
import { collectionKey, type StoredEvent, type StoreShape } from "../storage/Store.js"
import * as ApiError from "./ApiError.js"
import { apiVersionOf, type ResourceInfo } from "./Registry.js"
import * as Selectors from "./Selectors.js"

export type WatchEventType = "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK" | "ERROR"

export interface WatchQuery {
  readonly labelSelector?: string
  readonly fieldSelector?: string
  readonly resourceVersion?: string
  readonly allowWatchBookmarks?: boolean
  readonly timeoutSeconds?: number
  /** how often a BOOKMARK is sent when bookmarks are allowed (default 30s) */
  readonly bookmarkIntervalMs?: number
}

export interface WatchSink {
  /** returns false when the client cannot keep up: the watch is then closed */
  readonly send: (type: WatchEventType, object: unknown) => boolean
  readonly close: () => void
}

const BookmarkInterval = 30_000
const CrdCollection = "apiextensions.k8s.io/customresourcedefinitions"

export const open = (
  store: StoreShape,
  info: ResourceInfo,
  namespace: string,
  q: WatchQuery,
  sink: WatchSink
): Effect.Effect<() => void, ApiError.ApiError> =>
  Effect.gen(function*() {
    const pred = yield* Selectors.compile(q.labelSelector, q.fieldSelector, info)
    const rvText = q.resourceVersion ?? ""
    const fromScratch = rvText === "" || rvText === "0"
    const rv = fromScratch ? 0 : Number(rvText)
    if (!Number.isSafeInteger(rv) || rv < 0) {
      return yield* Effect.fail(ApiError.badRequest(`invalid resource version: ${JSON.stringify(rvText)}`))
    }
    const key = collectionKey(info)
    const nsFilter = info.namespaced && namespace !== "" ? namespace : undefined
    let closed = false
    let live = false
    let lastSent = 0
    const buffer: Array<StoredEvent> = []
    const timers: Array<ReturnType<typeof setTimeout>> = []

    const close = () => {
      if (closed) return
      closed = true
      unsubscribe()
      for (const t of timers) clearTimeout(t)
      sink.close()
    }
    const send = (type: WatchEventType, object: unknown) => {
      if (closed) return
      if (!sink.send(type, object)) close()
    }
    const deliver = (e: StoredEvent) => {
      if (e.rev <= lastSent) return
      lastSent = e.rev
      if (e.collection !== key) return
      if (nsFilter !== undefined && e.namespace !== nsFilter) return
      const now = pred(e.object)
      const before = e.prev === undefined ? undefined : pred(e.prev)
      if (e.type === "DELETED") {
        if (now) send("DELETED", e.object)
        return
      }
      if (now && before === false) send("ADDED", e.object)
      else if (now) send(e.type, e.object)
      else if (before === true) send("DELETED", e.object)
    }
    const unsubscribe = store.subscribe((e) => {
      // the resource itself went away with its CRD: end the stream (the client re-lists and sees 404)
      if (info.crd !== undefined && e.type === "DELETED" && e.name === info.crd && e.collection === CrdCollection) {
        queueMicrotask(close)
        return
      }
      if (live) deliver(e)
      else buffer.push(e)
    })

    if (fromScratch) {
      // Synchronous: the snapshot and the subscription see the same revision.
      const start = store.revision()
      for (const o of store.list(info, nsFilter)) if (pred(o)) send("ADDED", o)
      lastSent = start
    } else {
      const history = yield* store.history(rv).pipe(Effect.mapError(ApiError.fromStorage), Effect.either)
      if (Either.isLeft(history)) {
        send("ERROR", history.left.status)
        close()
        return close
      }
      lastSent = rv
      for (const e of history.right) deliver(e)
    }
    for (const e of buffer.splice(0)) deliver(e)
    live = true

    if (q.allowWatchBookmarks === true) {
      const bookmark = () => {
        if (closed) return
        const object: KubeObject = { apiVersion: apiVersionOf(info), kind: info.kind, metadata: { resourceVersion: String(store.revision()) } }
        send("BOOKMARK", object)
        timers.push(setTimeout(bookmark, interval).unref())
      }
      const interval = q.bookmarkIntervalMs ?? BookmarkInterval
      timers.push(setTimeout(bookmark, interval).unref())
    }
    if (q.timeoutSeconds !== undefined && q.timeoutSeconds > 0) {
      timers.push(setTimeout(close, q.timeoutSeconds * 1000).unref())
    }
    return close
  })
