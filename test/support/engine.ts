/**
 * The real API engine for tests that need API behaviour: the store on a
 * temporary SQLite file, the registry, the admission chain and the request path
 * (Resources.ts), behind the in-process KubeClient, exactly as the daemon
 * assembles them. Generation, dry run, patches, finalizers, status
 * subresources, CRD schemas and admission are the server's own, so a test
 * cannot pass on a rule a fake got wrong. The `default` namespace and the
 * LimaVM and App CRDs exist from the start, as in a started daemon.
 *
 * For a test that needs only one or two answers, stub the client instead
 * (test/support/stub.ts).
 */
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import { Context, Effect, Layer, type Scope } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Admission from "../../src/controlplane/apiserver/Admission.js"
import * as Registry from "../../src/controlplane/apiserver/Registry.js"
import { make as makeApi, type ApiShape } from "../../src/controlplane/apiserver/Resources.js"
import * as Discovery from "../../src/controlplane/controllers/Discovery.js"
import * as InProcessKubeClient from "../../src/controlplane/InProcessKubeClient.js"
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

const crdsCollection = { group: "apiextensions.k8s.io", resource: "customresourcedefinitions" }

export const make = (options: Options = {}): Effect.Effect<Engine, never, Scope.Scope> =>
  Effect.gen(function*() {
    const dir = yield* Effect.acquireRelease(
      Effect.sync(() => fs.mkdtempSync(path.join(scratch, "rdd-engine-"))),
      (d) => Effect.sync(() => fs.rmSync(d, { recursive: true, force: true }))
    )
    const context = yield* Layer.build(
      Store.layer().pipe(Layer.provide(SqliteClient.layer({ filename: path.join(dir, "rdd.sqlite3") })))
    ).pipe(Effect.orDie)
    const store = Context.get(context, Store.Store)
    const registry = Registry.make()
    // the registry follows the stored CRDs, as in the daemon
    const untrack = store.subscribe((e) => {
      if (e.collection !== Store.collectionKey(crdsCollection)) return
      if (e.type === "DELETED") registry.unregisterCrd(e.name)
      else registry.registerCrd(e.name, Registry.fromCrd(e.object))
    })
    yield* Effect.addFinalizer(() => Effect.sync(untrack))
    let writes = 0
    const unsubscribe = store.subscribe(() => void writes++)
    yield* Effect.addFinalizer(() => Effect.sync(unsubscribe))
    const admission = Admission.make()
    const api = makeApi(store, registry, admission)
    const client = InProcessKubeClient.make(api)
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
    const setup = writes
    const find = (type: ResourceType, namespace: string | undefined, name: string) =>
      store.get({ group: type.group, resource: type.resource }, type.namespaced ? namespace ?? "default" : "", name)
    return {
      client,
      layer: Layer.succeed(KubeClient, client),
      api,
      store,
      admit: (...plugins) => {
        for (const p of plugins) registered.push(admission.register(p))
      },
      dropAdmission: () => {
        for (const unregister of registered.splice(0)) unregister()
      },
      namespace,
      find,
      all: (type) => store.list({ group: type.group, resource: type.resource }),
      writes: () => writes - setup,
      seed: (type, object) =>
        store.withWriteLock(store.commit([{
          type: "ADDED",
          collection: { group: type.group, resource: type.resource },
          namespace: type.namespaced ? object.metadata.namespace ?? "default" : "",
          name: object.metadata.name ?? "",
          object
        }])).pipe(Effect.map((stored) => stored[0]!), Effect.orDie)
    }
  })
