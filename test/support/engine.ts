/**
 * The real API engine for tests that need API behaviour: the daemon's own
 * `Engine` layer (src/controlplane/Engine.ts: the store, the registry following
 * stored CRDs, the admission chain, Resources.ts, the in-process KubeClient) on
 * a temporary SQLite file. Generation, dry run, patches, finalizers, status
 * subresources, CRD schemas and admission are the server's own, so a test
 * cannot pass on a rule a fake got wrong. The `default` namespace and the
 * LimaVM and App CRDs exist from the start, as in a started daemon.
 *
 * For a test that needs only one or two answers, stub the client instead
 * (test/fakes/FakeKubeClient.ts).
 */
import { Context, Effect, Layer, Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import type * as Admission from "../../src/controlplane/apiserver/Admission.js"
import { Api, type ApiShape } from "../../src/controlplane/apiserver/Resources.js"
import * as Discovery from "../../src/controlplane/controllers/Discovery.js"
import * as DaemonEngine from "../../src/controlplane/Engine.js"
import * as Store from "../../src/controlplane/storage/Store.js"
import * as AppCrd from "../../src/domain/app/Crd.js"
import { Core, type KubeObject, type ResourceType } from "../../src/domain/KubeObject.js"
import * as LimaVmCrd from "../../src/domain/limavm/Crd.js"
import { KubeClient, type KubeClientShape } from "../../src/services/KubeClient.js"

export interface Engine {
  readonly client: KubeClientShape
  /** the client as a layer, for programs that ask for KubeClient */
  readonly layer: Layer.Layer<KubeClient>
  readonly api: ApiShape
  readonly store: Store.StoreShape
  /** registers admission plugins, as a controller does at start */
  readonly admit: (...plugins: ReadonlyArray<Admission.AdmissionPlugin>) => void
  /** unregisters them all (a controller that is off) */
  readonly dropAdmission: () => void
  /** creates the namespace unless it exists */
  readonly namespace: (name: string) => Effect.Effect<void>
  /** the stored object, read without a request */
  readonly find: (type: ResourceType, namespace: string | undefined, name: string) => KubeObject | undefined
  readonly all: (type: ResourceType) => ReadonlyArray<KubeObject>
  /** committed writes so far, setup excluded (to assert "no hot loop") */
  readonly writes: () => number
  /**
   * Stores an object as it is given (generation, status, uid), the state a test
   * starts from; every later request goes through the API's rules.
   */
  readonly seed: (type: ResourceType, object: KubeObject) => Effect.Effect<KubeObject>
  /**
   * Back to the state right after setup: objects written since are deleted, setup
   * objects changed since are restored, admission plugins dropped (see `perFile`).
   */
  readonly reset: Effect.Effect<void>
}

export interface Options {
  /** CRDs to install (default: LimaVM and App) */
  readonly crds?: ReadonlyArray<KubeObject>
}

/**
 * A RAM-backed directory when the system has one: the store's file is real
 * SQLite all the same, but opening it (journal mode, tables) costs no fsync.
 */
const scratch = fs.existsSync("/dev/shm") ? "/dev/shm" : os.tmpdir()

export const make = (options: Options = {}): Effect.Effect<Engine, never, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(scratch, "rdd-engine-"))),
      (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
    )
    // the daemon's own engine layer: store, request path, in-process client
    const context = yield* Layer.build(DaemonEngine.layer({ filename: path.join(dir, "rdd.sqlite3") })).pipe(Effect.orDie)
    const store = Context.get(context, Store.Store)
    const api = Context.get(context, Api)
    const client = Context.get(context, KubeClient)
    let writes = 0
    // every object written, by key, so that `reset` knows what to put back
    const touched = new Map<string, { readonly collection: string; readonly namespace: string; readonly name: string }>()
    const unsubscribe = store.subscribe((e) => {
      writes++
      touched.set(`${e.collection}|${e.namespace}|${e.name}`, e)
    })
    yield* Effect.addFinalizer(() => Effect.sync(unsubscribe))
    const namespace = (name: string) =>
      client.create(Core.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name } }).pipe(
        Effect.catchTag("AlreadyExists", () => Effect.void),
        Effect.asVoid,
        Effect.orDie
      )
    // the daemon's own namespaces, made by the daemon's own code: rdd-system and default
    yield* Discovery.ensureNamespace.pipe(Effect.provideService(KubeClient, client), Effect.orDie)
    const registered: Array<() => void> = []
    for (const crd of options.crds ?? [LimaVmCrd.crd, AppCrd.crd]) yield* client.create(Core.crds, crd).pipe(Effect.orDie)
    let setup = writes
    const collectionOf = (key: string): Store.Collection => {
      const slash = key.indexOf("/")
      return { group: key.slice(0, slash), resource: key.slice(slash + 1) }
    }
    const initial = new Map([...touched].map(([key, t]) => [key, store.get(collectionOf(t.collection), t.namespace, t.name)]))
    touched.clear()
    const reset = Effect.gen(function*() {
      const ops: Array<Store.WriteOp> = []
      for (const [key, t] of touched) {
        const collection = collectionOf(t.collection)
        const now = store.get(collection, t.namespace, t.name)
        const then = initial.get(key)
        if (then !== undefined) ops.push({ type: now === undefined ? "ADDED" : "MODIFIED", collection, namespace: t.namespace, name: t.name, object: then })
        else if (now !== undefined) ops.push({ type: "DELETED", collection, namespace: t.namespace, name: t.name, object: now })
      }
      if (ops.length > 0) yield* store.commitIf(() => true, ops).pipe(Effect.orDie)
      touched.clear()
      for (const unregister of registered.splice(0)) unregister()
      setup = writes
    })
    const find = (type: ResourceType, namespace: string | undefined, name: string) =>
      store.get({ group: type.group, resource: type.resource }, type.namespaced ? namespace ?? "default" : "", name)
    return {
      client,
      layer: Layer.succeed(KubeClient, client),
      api,
      store,
      admit: (...plugins) => {
        for (const p of plugins) registered.push(api.admission.register(p))
      },
      dropAdmission: () => {
        for (const unregister of registered.splice(0)) unregister()
      },
      namespace,
      find,
      all: (type) => store.list({ group: type.group, resource: type.resource }),
      writes: () => writes - setup,
      seed: (type, object) =>
        // commitIf runs when called (Eager.ts): suspended, so seeding happens when the effect runs
        Effect.suspend(() => store.commitIf(() => true, [{
          type: "ADDED",
          collection: { group: type.group, resource: type.resource },
          namespace: type.namespaced ? object.metadata.namespace ?? "default" : "",
          name: object.metadata.name ?? "",
          object
        }])).pipe(Effect.map((stored) => stored![0]!), Effect.orDie),
      reset
    }
  })
