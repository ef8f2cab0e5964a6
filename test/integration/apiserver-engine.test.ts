/**
 * The API engine in process, on a real SQLite file: history compaction and 410
 * Gone, watch resume without loss or duplicates, selector transitions, admission
 * denials in the webhook form, dry runs, optimistic concurrency, generation.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type { KubeObject } from "../../src/domain/KubeObject.js"
import * as Admission from "../../src/controlplane/apiserver/Admission.js"
import { Api } from "../../src/controlplane/apiserver/Resources.js"
import * as Watch from "../../src/controlplane/apiserver/Watch.js"
import * as Engine from "../../src/controlplane/Engine.js"
import type * as StoreModule from "../../src/controlplane/storage/Store.js"

/** The daemon's own engine layer on a temporary file, removed with the test's scope. */
const storeLayer = (window?: StoreModule.HistoryWindow) =>
  Layer.unwrapScoped(Effect.map(
    Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "rdd-engine-"))),
      (dir) => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true }))
    ),
    (dir) => Layer.orDie(Engine.layer({ filename: path.join(dir, "rdd.sqlite3"), ...(window === undefined ? {} : { window }) }))
  ))

const setup = Effect.gen(function*() {
  const api = yield* Api
  const { store, registry, admission } = api
  const ns = registry.find("", "v1", "namespaces")!
  const cm = registry.find("", "v1", "configmaps")!
  yield* api.create(ns, "", { metadata: { name: "t" } }, {})
  return { store, registry, admission, api, cm }
})

type Event = { type: string; object: KubeObject }
const collect = () => {
  const events: Array<Event> = []
  let closed = false
  const sink: Watch.WatchSink = { send: (type, object) => (events.push({ type, object: object as KubeObject }), true), close: () => (closed = true) }
  return { events, sink, closed: () => closed }
}
const names = (events: ReadonlyArray<Event>) => events.map((e) => `${e.type}:${e.object.metadata?.name ?? ""}`)

describe("API engine", () => {
  it.scoped("answers 410 Gone for a watch from before the retained window", () =>
    Effect.gen(function*() {
      const { api, store, cm } = yield* setup
      for (let i = 0; i < 20; i++) yield* api.create(cm, "t", { metadata: { name: `c${i}` } }, {})
      yield* store.compact
      expect(store.compacted()).toBe(store.revision() - 5)
      const w = collect()
      yield* Watch.open(store, cm, "t", { resourceVersion: "1" }, w.sink)
      expect(w.events).toHaveLength(1)
      expect(w.events[0]!.type).toBe("ERROR")
      expect(w.events[0]!.object).toMatchObject({ kind: "Status", code: 410, reason: "Expired" })
      expect(w.closed()).toBe(true)
      // the revision of a fresh list is always watchable
      const list = yield* api.list(cm, "t", {})
      const ok = collect()
      yield* Watch.open(store, cm, "t", { resourceVersion: list.resourceVersion }, ok.sink)
      expect(ok.events).toEqual([])
      expect(ok.closed()).toBe(false)
    }).pipe(Effect.provide(storeLayer({ revisions: 5, millis: 0 }))))

  it.scoped("keeps every event younger than the window's time, however many revisions", () =>
    Effect.gen(function*() {
      const { api, store, cm } = yield* setup
      for (let i = 0; i < 20; i++) yield* api.create(cm, "t", { metadata: { name: `c${i}` } }, {})
      yield* store.compact
      expect(store.compacted()).toBe(0)
      const w = collect()
      // from the namespace's revision: every ConfigMap's ADDED
      yield* Watch.open(store, cm, "t", { resourceVersion: "1" }, w.sink)
      expect(w.events).toHaveLength(20)
      expect(w.closed()).toBe(false)
    }).pipe(Effect.provide(storeLayer({ revisions: 5, millis: 3_600_000 }))))

  it.scoped("compacts the events committed before a restart once they are past the window", () =>
    Effect.gen(function*() {
      const dir = yield* Effect.acquireRelease(
        Effect.sync(() => fs.mkdtempSync(path.join(os.tmpdir(), "rdd-engine-"))),
        (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
      )
      const opened = (window: StoreModule.HistoryWindow) => Layer.orDie(Engine.layer({ filename: path.join(dir, "rdd.sqlite3"), window }))
      // first run: 21 revisions, none compacted (the window's time keeps them)
      const revision = yield* Effect.scoped(Effect.gen(function*() {
        const { api, store, cm } = yield* setup
        for (let i = 0; i < 20; i++) yield* api.create(cm, "t", { metadata: { name: `c${i}` } }, {})
        yield* store.compact
        expect(store.compacted()).toBe(0)
        return store.revision()
      }).pipe(Effect.provide(opened({ revisions: 5, millis: 3_600_000 }))))
      // after the restart no commit has happened yet: the events found at open are dated by it
      yield* Effect.scoped(Effect.gen(function*() {
        const { store } = yield* Api
        expect(store.revision()).toBe(revision)
        yield* store.compact
        expect(store.compacted()).toBe(revision - 5)
      }).pipe(Effect.provide(opened({ revisions: 5, millis: 0 }))))
    }))

  it.scoped("resumes a watch exactly after the given resourceVersion, then goes live", () =>
    Effect.gen(function*() {
      const { api, store, cm } = yield* setup
      const a = yield* api.create(cm, "t", { metadata: { name: "a" } }, {})
      yield* api.create(cm, "t", { metadata: { name: "b" } }, {})
      yield* api.update(cm, "t", "a", { ...a, data: { x: "1" } }, {})
      const w = collect()
      const cancel = yield* Watch.open(store, cm, "t", { resourceVersion: a.metadata.resourceVersion! }, w.sink)
      yield* api.delete(cm, "t", "b", {}, {})
      expect(names(w.events)).toEqual(["ADDED:b", "MODIFIED:a", "DELETED:b"])
      const rvs = w.events.map((e) => Number(e.object.metadata.resourceVersion))
      expect([...rvs].sort((x, y) => x - y)).toEqual(rvs)
      cancel()
      yield* api.create(cm, "t", { metadata: { name: "after" } }, {})
      expect(w.events).toHaveLength(3)
    }).pipe(Effect.provide(storeLayer())))

  it.scoped("label-selected watches see objects enter and leave the selection", () =>
    Effect.gen(function*() {
      const { api, store, cm } = yield* setup
      const w = collect()
      yield* Watch.open(store, cm, "t", { labelSelector: "app in (web)" }, w.sink)
      const o = yield* api.create(cm, "t", { metadata: { name: "x", labels: { app: "db" } } }, {})
      const o2 = yield* api.update(cm, "t", "x", { ...o, metadata: { ...o.metadata, labels: { app: "web" } } }, {})
      yield* api.update(cm, "t", "x", { ...o2, metadata: { ...o2.metadata, labels: { app: "db" } } }, {})
      expect(names(w.events)).toEqual(["ADDED:x", "DELETED:x"])
    }).pipe(Effect.provide(storeLayer())))

  it.scoped("admission denials use the webhook form and store nothing; mutations apply", () =>
    Effect.gen(function*() {
      const { api, admission, store, cm } = yield* setup
      admission.register({
        name: "deny.example.com",
        group: "",
        resource: "configmaps",
        operations: ["CREATE"],
        validate: (req) => (req.name === "bad" ? Effect.fail(new Admission.Denied({ reason: "bad names are refused" })) : Effect.void)
      })
      admission.register({
        name: "label.example.com",
        group: "",
        resource: "configmaps",
        operations: ["CREATE"],
        mutate: (req) => Effect.succeed({ ...req.object!, metadata: { ...req.object!.metadata, labels: { stamped: "yes" } } })
      })
      const before = store.revision()
      const err = yield* Effect.flip(api.create(cm, "t", { metadata: { name: "bad" } }, {}))
      expect(err.code).toBe(403)
      expect(err.message).toBe(`admission webhook "deny.example.com" denied the request: bad names are refused`)
      expect(store.revision()).toBe(before)
      const good = yield* api.create(cm, "t", { metadata: { name: "good" } }, {})
      expect(good.metadata.labels).toEqual({ stamped: "yes" })
    }).pipe(Effect.provide(storeLayer())))

  it.scoped("dry runs validate and answer without storing or advancing the revision", () =>
    Effect.gen(function*() {
      const { api, store, cm } = yield* setup
      const before = store.revision()
      const dry = yield* api.create(cm, "t", { metadata: { name: "dry" }, data: { a: "1" } }, { dryRun: true })
      expect(dry.metadata.name).toBe("dry")
      expect(store.revision()).toBe(before)
      expect(store.get(cm, "t", "dry")).toBeUndefined()
      const invalid = yield* Effect.flip(api.create(cm, "t", { metadata: { name: "Not_Valid" } }, { dryRun: true }))
      expect(invalid.code).toBe(422)
    }).pipe(Effect.provide(storeLayer())))

  it.scoped("stale resourceVersions conflict; unchanged writes are no-ops", () =>
    Effect.gen(function*() {
      const { api, store, cm } = yield* setup
      const v1 = yield* api.create(cm, "t", { metadata: { name: "o" }, data: { a: "1" } }, {})
      const v2 = yield* api.update(cm, "t", "o", { ...v1, data: { a: "2" } }, {})
      const stale = yield* Effect.flip(api.update(cm, "t", "o", { ...v1, data: { a: "3" } }, {}))
      expect(stale.code).toBe(409)
      expect(stale.message).toContain(`Operation cannot be fulfilled on configmaps "o"`)
      const rev = store.revision()
      const same = yield* api.update(cm, "t", "o", v2, {})
      expect(same.metadata.resourceVersion).toBe(v2.metadata.resourceVersion)
      expect(store.revision()).toBe(rev)
    }).pipe(Effect.provide(storeLayer())))

  it.scoped("ends watches of a custom resource when its CRD is deleted", () =>
    Effect.gen(function*() {
      const { api, store, registry } = yield* setup
      const crds = registry.find("apiextensions.k8s.io", "v1", "customresourcedefinitions")!
      yield* api.create(crds, "", {
        metadata: { name: "things.t.io" },
        spec: { group: "t.io", scope: "Namespaced", names: { plural: "things", kind: "Thing" }, versions: [{ name: "v1", served: true, storage: true }] }
      }, {})
      // the engine keeps the registry in step with stored CRDs
      const things = registry.find("t.io", "v1", "things")!
      yield* api.create(things, "t", { metadata: { name: "a" } }, {})
      const w = collect()
      yield* Watch.open(store, things, "t", {}, w.sink)
      expect(names(w.events)).toEqual(["ADDED:a"])
      yield* api.delete(crds, "", "things.t.io", {}, {})
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 0)))
      expect(w.closed()).toBe(true)
      expect(store.get(things, "t", "a")).toBeUndefined()
    }).pipe(Effect.provide(storeLayer())))

  it.scoped("sends bookmarks with the current revision when allowed, and none otherwise", () =>
    Effect.gen(function*() {
      const { api, store, cm } = yield* setup
      const w = collect()
      const plain = collect()
      const cancel = yield* Watch.open(store, cm, "t", { allowWatchBookmarks: true, bookmarkIntervalMs: 20 }, w.sink)
      const cancelPlain = yield* Watch.open(store, cm, "t", { bookmarkIntervalMs: 20 }, plain.sink)
      yield* api.create(cm, "t", { metadata: { name: "b1" } }, {})
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 80)))
      cancel()
      cancelPlain()
      const bookmarks = w.events.filter((e) => e.type === "BOOKMARK")
      expect(bookmarks.length).toBeGreaterThan(0)
      expect(bookmarks.at(-1)!.object).toMatchObject({ apiVersion: "v1", kind: "ConfigMap", metadata: { resourceVersion: String(store.revision()) } })
      expect(plain.events.map((e) => e.type)).toEqual(["ADDED"])
    }).pipe(Effect.provide(storeLayer())))
})
