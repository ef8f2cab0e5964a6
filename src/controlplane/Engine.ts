/**
 * The API engine: the store on its SQLite file, the request path (registry,
 * admission chain, Resources.ts) and the in-process KubeClient over it. One
 * layer, three scoped steps, each releasing what it acquired: the store is
 * checkpointed and closed, the registry stops following stored CRDs. The daemon
 * runs it under its listener and controllers (serve.ts); the tests that need API
 * behaviour build the very same layer on a temporary file (test/support/engine.ts).
 */
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import { Failure } from "../domain/Errors.js"
import type { KubeClient } from "../services/KubeClient.js"
import * as Admission from "./apiserver/Admission.js"
import * as Registry from "./apiserver/Registry.js"
import { Api, make as makeApi } from "./apiserver/Resources.js"
import * as InProcessKubeClient from "./InProcessKubeClient.js"
import { Store } from "./storage/Store.js"
import * as StoreModule from "./storage/Store.js"

export interface Options {
  /** the SQLite file (created when missing) */
  readonly filename: string
  /** how much watch history the store keeps (default: StoreModule.DefaultWindow) */
  readonly window?: StoreModule.HistoryWindow
}

/** The store, checkpointed on the way out so the next open starts from a folded WAL. */
const store = (o: Options): Layer.Layer<Store, Failure> =>
  Layer.scoped(
    Store,
    Effect.gen(function*() {
      const store = yield* StoreModule.make(o.window)
      yield* Effect.addFinalizer(() => Effect.zipRight(store.checkpoint, Effect.logInfo("store checkpointed")))
      return store
    })
  ).pipe(
    Layer.provide(SqliteClient.layer({ filename: o.filename })),
    Layer.mapError((e) => new Failure({ message: `cannot open the store ${o.filename}: ${String(e)}`, cause: e })),
    (opened) => Layer.unwrapEffect(Effect.as(Effect.logInfo(`opening store ${o.filename}`), opened))
  )

const crds = { group: "apiextensions.k8s.io", resource: "customresourcedefinitions" }

/** The request path, its registry kept in step with the stored CRDs for the life of the scope. */
const api: Layer.Layer<Api, never, Store> = Layer.scoped(
  Api,
  Effect.gen(function*() {
    const store = yield* Store
    const registry = Registry.make()
    for (const crd of store.list(crds)) registry.registerCrd(crd.metadata.name ?? "", Registry.fromCrd(crd))
    yield* Effect.acquireRelease(
      Effect.sync(() =>
        store.subscribe((e) => {
          if (e.collection !== StoreModule.collectionKey(crds)) return
          if (e.type === "DELETED") registry.unregisterCrd(e.name)
          else registry.registerCrd(e.name, Registry.fromCrd(e.object))
        })
      ),
      (untrack) => Effect.sync(untrack)
    )
    return makeApi(store, registry, Admission.make())
  })
)

/** Store → Api → the in-process KubeClient, all three in the output. */
export const layer = (o: Options): Layer.Layer<Store | Api | KubeClient, Failure> =>
  InProcessKubeClient.layer.pipe(Layer.provideMerge(api), Layer.provideMerge(store(o)))
