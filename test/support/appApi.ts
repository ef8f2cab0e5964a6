/**
 * The API as the `rdd set` / `rdd stop` programs see it, for their unit tests:
 * the real engine (test/support/engine.ts) with the App CRD, plus what a test
 * scripts around it — the App's conditions as its controller would write them,
 * a denial by admission, a creator racing the program — and a record of the
 * writes the program asked for. Every rule (defaulting from the CRD, dry run,
 * generation, merge patch) is the server's own.
 */
import { Effect, Layer, Option, Ref, type Scope } from "effect"
import { Denied } from "../../src/controlplane/apiserver/Admission.js"
import * as App from "../../src/domain/App.js"
import * as AppCrd from "../../src/domain/app/Crd.js"
import type { Condition, KubeObject } from "../../src/domain/KubeObject.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as LimaVmCrd from "../../src/domain/limavm/Crd.js"
import { KubeClient } from "../../src/services/KubeClient.js"
import * as Engine from "./engine.js"

export interface Options {
  /** the App CRD is installed (default true) */
  readonly crdInstalled?: boolean
  /** the App as stored before the test (generation and conditions as given) */
  readonly app?: KubeObject
  /** a denial message for an App write, as admission would give it */
  readonly admit?: (app: KubeObject) => string | undefined
  /** the program's first read of the App misses it (someone else creates it right after) */
  readonly racingCreator?: boolean
  /** the App's LimaVM as stored before the test (default: none exists) */
  readonly limaVm?: KubeObject
}

export interface AppApi {
  readonly engine: Engine.Engine
  /** the stored App */
  readonly app: Effect.Effect<Option.Option<KubeObject>>
  /** the writes the program asked for: `create`, `patch-merge`, with `(dryRun)` */
  readonly writes: Ref.Ref<ReadonlyArray<string>>
  /** the App's conditions, written through the status subresource as its controller does */
  readonly setConditions: (conditions: ReadonlyArray<Condition>) => Effect.Effect<void>
  readonly deleteApp: Effect.Effect<void>
  /** KubeClient for the program under test */
  readonly layer: Layer.Layer<KubeClient>
}

/** An App as stored: generation and conditions as given. */
export const appObject = (spec: Record<string, unknown>, generation = 1, conditions: ReadonlyArray<Condition> = []): KubeObject => ({
  apiVersion: App.ApiVersion,
  kind: App.Kind,
  metadata: { name: App.SingletonName, generation, uid: "u1" },
  spec: { namespace: "default", containerEngine: { name: "moby" }, ...spec },
  status: { conditions }
})

/**
 * `engine`: where the API runs; by default a fresh one (with the App CRD unless
 * `crdInstalled` is false), or a file's shared one (`Engine.perFile()`, which has it).
 */
export const make = (
  options: Options = {},
  engine: Effect.Effect<Engine.Engine, never, Scope.Scope> = Engine.make({
    crds: options.crdInstalled === false ? [LimaVmCrd.crd] : [LimaVmCrd.crd, AppCrd.crd]
  })
): Effect.Effect<AppApi, never, Scope.Scope> => Effect.flatMap(engine, (engine) => on(engine, options))

const on = (engine: Engine.Engine, options: Options): Effect.Effect<AppApi> =>
  Effect.gen(function*() {
    if (options.app !== undefined) yield* engine.seed(App.AppType, options.app)
    if (options.limaVm !== undefined) yield* engine.seed(LimaVm.LimaVmType, options.limaVm)
    const deny = options.admit
    if (deny !== undefined) {
      engine.admit({
        name: App.ValidatorName,
        group: App.AppType.group,
        resource: App.AppType.resource,
        operations: ["CREATE", "UPDATE"],
        validate: (req) => {
          const reason = req.object === undefined ? undefined : deny(req.object)
          return reason === undefined ? Effect.void : Effect.fail(new Denied({ reason }))
        }
      })
    }
    const writes = yield* Ref.make<ReadonlyArray<string>>([])
    const record = (what: string, dryRun: boolean | undefined) => Ref.update(writes, (w) => [...w, dryRun === true ? `${what}(dryRun)` : what])
    let raced = options.racingCreator !== true
    const client = engine.client
    const app = Effect.sync(() => Option.fromNullable(engine.find(App.AppType, undefined, App.SingletonName)))
    return {
      engine,
      app,
      writes,
      setConditions: (conditions) =>
        Effect.flatMap(app, (a) =>
          Option.isNone(a)
            ? Effect.void
            : client.patchStatus(App.SingletonRef, { status: { conditions } }, "merge").pipe(Effect.asVoid, Effect.orDie)),
      deleteApp: client.delete(App.SingletonRef).pipe(Effect.catchTag("NotFound", () => Effect.void), Effect.orDie),
      layer: Layer.succeed(KubeClient, {
        ...client,
        get: (ref) => {
          if (!raced && ref.type.resource === App.Plural) {
            raced = true
            return Effect.succeed(Option.none())
          }
          return client.get(ref)
        },
        create: (type, object, o) => Effect.zipRight(record("create", o?.dryRun), client.create(type, object, o)),
        update: (ref, object, o) => Effect.zipRight(record("update", o?.dryRun), client.update(ref, object, o)),
        patch: (ref, patch, type, o) => Effect.zipRight(record(`patch-${type}`, o?.dryRun), client.patch(ref, patch, type, o))
      })
    }
  })
