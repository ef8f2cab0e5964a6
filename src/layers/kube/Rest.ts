/**
 * KubeClient on the real API (the body of KubeClientLive, loaded on demand so
 * @kubernetes/client-node stays out of the CLI's main chunk). Paths from the
 * resource type; Status answers mapped to typed errors: NotFound, AlreadyExists,
 * Conflict, Rejected (400/403/422 → exit 3), Unavailable otherwise. `watch` is
 * list + watch from the list's resourceVersion, resumed after drops and
 * re-listed after 410 Gone (the re-list is delivered as synthetic events).
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import { NotFound, Rejected } from "../../domain/Errors.js"
import { apiVersionOf, type KubeObject, type ObjectRef, type ResourceType, type WatchEvent } from "../../domain/KubeObject.js"
import { AlreadyExists, Conflict, type KubeClientShape, type KubeError, type ListOptions, type PatchType, Unavailable } from "../../services/KubeClient.js"
import * as Connection from "./Connection.js"

const RequestTimeoutMs = 30_000
const ReadyzTimeoutMs = 2_000
/** Servers end a watch after this; we resume from the last resourceVersion. */
const WatchSeconds = 300

export const collectionPath = (type: ResourceType, namespace?: string): string => {
  const base = type.group === "" ? `/api/${type.version}` : `/apis/${type.group}/${type.version}`
  const ns = type.namespaced && namespace !== undefined && namespace !== "" ? `/namespaces/${encodeURIComponent(namespace)}` : ""
  return `${base}${ns}/${type.resource}`
}
export const objectPath = (ref: ObjectRef): string => `${collectionPath(ref.type, ref.namespace)}/${encodeURIComponent(ref.name)}`

const query = (params: Record<string, string | undefined>): string => {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== "") q.set(k, v)
  const s = q.toString()
  return s === "" ? "" : `?${s}`
}

const patchTypes: Record<PatchType, string> = {
  merge: "application/merge-patch+json",
  json: "application/json-patch+json",
  strategic: "application/strategic-merge-patch+json"
}

interface Status {
  readonly message?: string
  readonly reason?: string
  readonly code?: number
}

const parseStatus = (body: string): Status => {
  try {
    const s: unknown = JSON.parse(body)
    return typeof s === "object" && s !== null ? (s as Status) : {}
  } catch {
    return {}
  }
}

/** Maps a non-2xx answer to the typed error its Status reason names. */
export const errorOf = (status: number, body: string, what: string): KubeError => {
  const s = parseStatus(body)
  const message = s.message ?? (body.trim() || `HTTP ${status}`)
  if (status === 404 || s.reason === "NotFound") return new NotFound({ message })
  if (s.reason === "AlreadyExists") return new AlreadyExists({ message })
  if (status === 409) return new Conflict({ message })
  if (status === 400 || status === 403 || status === 422) {
    return new Rejected({ message, code: status, ...(s.reason === undefined ? {} : { reason: s.reason }) })
  }
  return new Unavailable({ message: `${what}: ${message}` })
}

export const make = (kubeconfigPath: string): KubeClientShape => {
  const conn = Connection.make(kubeconfigPath)

  const call = (method: string, path: string, body?: unknown, contentType?: string) =>
    Effect.flatMap(
      conn.request(method, path, {
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        ...(contentType === undefined ? {} : { contentType }),
        timeoutMs: RequestTimeoutMs
      }),
      (res): Effect.Effect<unknown, KubeError> => {
        if (res.status >= 200 && res.status < 300) {
          try {
            return Effect.succeed(res.body === "" ? {} : JSON.parse(res.body))
          } catch (e) {
            return Effect.fail(new Unavailable({ message: `${method} ${path}: invalid JSON answer`, cause: e }))
          }
        }
        return Effect.fail(errorOf(res.status, res.body, `${method} ${path}`))
      }
    )
  const object = (u: unknown) => u as KubeObject
  const dry = (o?: { readonly dryRun?: boolean }) => (o?.dryRun === true ? "All" : undefined)

  const list = (type: ResourceType, options: ListOptions = {}) =>
    Effect.map(
      call("GET", `${collectionPath(type, options.namespace)}${query({ labelSelector: options.labelSelector, fieldSelector: options.fieldSelector })}`),
      (u) => {
        const l = u as { readonly kind?: string; readonly items?: ReadonlyArray<KubeObject>; readonly metadata?: { readonly resourceVersion?: string } }
        const kind = (l.kind ?? "").replace(/List$/, "")
        return {
          items: (l.items ?? []).map((i) => ({ ...i, apiVersion: i.apiVersion ?? apiVersionOf(type), kind: i.kind ?? kind })),
          resourceVersion: l.metadata?.resourceVersion ?? ""
        }
      }
    )

  const keyOf = (o: KubeObject) => `${o.metadata.namespace ?? ""}/${o.metadata.name ?? ""}`

  const watch = (type: ResourceType, options: ListOptions = {}): Stream.Stream<WatchEvent, KubeError> =>
    Stream.unwrapScoped(Effect.gen(function*() {
      const out = yield* Queue.unbounded<Either.Either<WatchEvent, KubeError>>()
      const known = new Map<string, KubeObject>()
      const emit = (e: WatchEvent) => {
        if (e.type !== "BOOKMARK") {
          if (e.type === "DELETED") known.delete(keyOf(e.object))
          else known.set(keyOf(e.object), e.object)
        }
        out.unsafeOffer(Either.right(e))
      }
      const retry = Schedule.exponential(Duration.millis(100)).pipe(Schedule.union(Schedule.spaced(Duration.seconds(2))))
      /** (re-)list: synthetic events bring the consumer to the list's state */
      const relist = Effect.gen(function*() {
        const l = yield* list(type, options).pipe(Effect.retry({ schedule: retry, while: (e) => e._tag === "Unavailable" }))
        const fresh = new Map(l.items.map((o) => [keyOf(o), o] as const))
        for (const [k, o] of [...known]) if (!fresh.has(k)) emit({ type: "DELETED", object: o })
        for (const [k, o] of fresh) emit({ type: known.has(k) ? "MODIFIED" : "ADDED", object: o })
        return l.resourceVersion
      })
      /** one watch connection from `rv`; "gone" when the server says the version is too old */
      const connect = (rv: string) =>
        Effect.suspend(() => {
          let buffer = ""
          let last = rv
          let gone = false
          const path = `${collectionPath(type, options.namespace)}${query({
            watch: "true",
            resourceVersion: rv,
            allowWatchBookmarks: "true",
            timeoutSeconds: String(WatchSeconds),
            labelSelector: options.labelSelector,
            fieldSelector: options.fieldSelector
          })}`
          const onChunk = (chunk: string) => {
            buffer += chunk
            let nl = buffer.indexOf("\n")
            while (nl >= 0) {
              const line = buffer.slice(0, nl).trim()
              buffer = buffer.slice(nl + 1)
              nl = buffer.indexOf("\n")
              if (line === "") continue
              let ev: { readonly type?: string; readonly object?: KubeObject & { readonly code?: number } }
              try {
                ev = JSON.parse(line)
              } catch {
                continue
              }
              const obj = ev.object
              if (obj === undefined) continue
              if (ev.type === "ERROR") {
                if (obj.code === 410) gone = true
                continue
              }
              if (obj.metadata?.resourceVersion !== undefined) last = obj.metadata.resourceVersion
              if (ev.type === "BOOKMARK") emit({ type: "BOOKMARK", resourceVersion: last })
              else if (ev.type === "ADDED" || ev.type === "MODIFIED" || ev.type === "DELETED") {
                emit({ type: ev.type, object: { ...obj, apiVersion: obj.apiVersion ?? apiVersionOf(type), kind: obj.kind ?? "" } })
              }
            }
          }
          return Effect.flatMap(conn.request("GET", path, { onChunk }), (res) => {
            if (res.status === 410) gone = true
            else if (res.status < 200 || res.status >= 300) {
              const e = errorOf(res.status, res.body, `watch ${path}`)
              if (e._tag !== "Unavailable") out.unsafeOffer(Either.left(e))
              // e.g. 401 while the daemon restarts with new tokens: retry, but never in a hot loop
              return Effect.as(Effect.sleep(Duration.millis(200)), Option.some(last))
            }
            return Effect.succeed(gone ? Option.none<string>() : Option.some(last))
          })
        })
      const loop = (rv: string): Effect.Effect<never, KubeError> =>
        Effect.flatMap(
          connect(rv).pipe(Effect.catchAll(() => Effect.as(Effect.sleep(Duration.millis(200)), Option.some(rv)))),
          Option.match({ onNone: () => Effect.flatMap(relist, loop), onSome: loop })
        )
      yield* Effect.forkScoped(
        Effect.flatMap(relist, loop).pipe(Effect.catchAll((e) => Effect.sync(() => out.unsafeOffer(Either.left(e)))))
      )
      return Stream.fromQueue(out).pipe(Stream.mapEffect((e) => e))
    }))

  return {
    readyz: conn.request("GET", "/readyz", { timeoutMs: ReadyzTimeoutMs }).pipe(
      Effect.map((r) => r.status === 200),
      Effect.orElseSucceed(() => false)
    ),
    get: (ref) =>
      call("GET", objectPath(ref)).pipe(
        Effect.map((u) => Option.some(object(u))),
        Effect.catchTag("NotFound", () => Effect.succeed(Option.none()))
      ),
    list,
    watch,
    create: (type, obj, o) =>
      Effect.map(call("POST", `${collectionPath(type, obj.metadata.namespace)}${query({ dryRun: dry(o) })}`, obj), object),
    update: (ref, obj, o) => Effect.map(call("PUT", `${objectPath(ref)}${query({ dryRun: dry(o) })}`, obj), object),
    patch: (ref, patch, type, o) =>
      Effect.map(call("PATCH", `${objectPath(ref)}${query({ dryRun: dry(o) })}`, patch, patchTypes[type]), object),
    patchStatus: (ref, patch, type) => Effect.map(call("PATCH", `${objectPath(ref)}/status`, patch, patchTypes[type]), object),
    delete: (ref, o) =>
      Effect.asVoid(call("DELETE", `${objectPath(ref)}${query({ dryRun: dry(o) })}`, {
        kind: "DeleteOptions",
        apiVersion: "v1",
        ...(o?.propagationPolicy === undefined ? {} : { propagationPolicy: o.propagationPolicy })
      }))
  }
}
