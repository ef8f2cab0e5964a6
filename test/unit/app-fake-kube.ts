/**
 * An in-memory KubeClient holding just what the `rdd set` programs touch: the
 * App CRD and the App singleton. Writes follow the API server's rules that
 * matter here (server-side dry run stores nothing, generation moves only when
 * the spec changes, merge patches merge), and `watch` delivers the current App
 * and then every change, like the real list-then-watch. Tests script status
 * changes with `setConditions` (from a fiber, on the TestClock).
 */
import { Effect, Layer, Option, PubSub, Ref, Stream } from "effect"
import * as App from "../../src/domain/App.js"
import * as Crd from "../../src/domain/app/Crd.js"
import { Rejected } from "../../src/domain/Errors.js"
import type { Condition, KubeObject, WatchEvent } from "../../src/domain/KubeObject.js"
import { AlreadyExists, KubeClient } from "../../src/services/KubeClient.js"
import * as MergePatch from "../../src/domain/k8s/MergePatch.js"
import type { Json } from "../../src/domain/k8s/Json.js"

export interface FakeOptions {
  readonly crdInstalled?: boolean
  readonly app?: KubeObject
  /** a denial message for an App write, as admission would give it */
  readonly admit?: (app: KubeObject) => string | undefined
  /** the first read of the App misses it (someone else creates it right after) */
  readonly racingCreator?: boolean
  /** the App's LimaVM as a GET returns it (default: none exists) */
  readonly limaVm?: KubeObject
}

export interface FakeApi {
  readonly app: Ref.Ref<Option.Option<KubeObject>>
  readonly writes: Ref.Ref<ReadonlyArray<string>>
  readonly setConditions: (conditions: ReadonlyArray<Condition>) => Effect.Effect<void>
  readonly deleteApp: Effect.Effect<void>
  readonly layer: Layer.Layer<KubeClient>
}

const unused = (name: string) => Effect.dieMessage(`fake KubeClient.${name} is not scripted`)

const specEqual = (a: KubeObject, b: KubeObject) => JSON.stringify(a["spec"]) === JSON.stringify(b["spec"])

export const appObject = (spec: Record<string, unknown>, generation = 1, conditions: ReadonlyArray<Condition> = []): KubeObject => ({
  apiVersion: App.ApiVersion,
  kind: App.Kind,
  metadata: { name: App.SingletonName, generation, resourceVersion: "1", uid: "u1" },
  spec: { namespace: "default", containerEngine: { name: "moby" }, ...spec },
  status: { conditions }
})

export const make = (options: FakeOptions = {}): Effect.Effect<FakeApi> =>
  Effect.gen(function*() {
    const app = yield* Ref.make(Option.fromNullable(options.app))
    const writes = yield* Ref.make<ReadonlyArray<string>>([])
    const raced = yield* Ref.make(false)
    const events = yield* PubSub.unbounded<WatchEvent>()
    let rv = 1
    const publish = (type: "ADDED" | "MODIFIED" | "DELETED", object: KubeObject): Effect.Effect<void> =>
      Effect.asVoid(PubSub.publish(events, { type, object }))
    const stamp = (o: KubeObject, generation: number): KubeObject => ({
      ...o,
      metadata: { ...o.metadata, generation, resourceVersion: String(++rv), uid: "u1" }
    })
    const admit = (o: KubeObject) => {
      const denied = options.admit?.(o)
      return denied === undefined
        ? Effect.void
        : Effect.fail(new Rejected({ message: `admission webhook "${App.ValidatorName}" denied the request: ${denied}`, code: 403 }))
    }
    const setConditions = (conditions: ReadonlyArray<Condition>) =>
      Effect.flatMap(Ref.get(app), Option.match({
        onNone: () => Effect.void,
        onSome: (current) => {
          const next = { ...current, metadata: { ...current.metadata, resourceVersion: String(++rv) }, status: { conditions } }
          return Effect.zipRight(Ref.set(app, Option.some(next)), publish("MODIFIED", next))
        }
      }))
    const deleteApp = Effect.flatMap(Ref.getAndSet(app, Option.none()), Option.match({
      onNone: () => Effect.void,
      onSome: (o) => publish("DELETED", o)
    }))
    const client = KubeClient.of({
      readyz: Effect.succeed(true),
      get: (ref) =>
        ref.type.resource === "customresourcedefinitions"
          ? Effect.succeed(ref.name === App.CrdName && options.crdInstalled !== false ? Option.some(Crd.crd) : Option.none())
          : ref.type.resource === App.Plural
          ? Effect.flatMap(Ref.getAndSet(raced, true), (done) =>
            options.racingCreator === true && !done ? Effect.succeed(Option.none()) : Ref.get(app))
          : ref.type.resource === "limavms"
          ? Effect.succeed(Option.fromNullable(options.limaVm))
          : unused(`get ${ref.type.resource}`),
      list: () => unused("list"),
      watch: () =>
        Stream.unwrapScoped(Effect.gen(function*() {
          const sub = yield* PubSub.subscribe(events)
          const initial = yield* Ref.get(app)
          return Stream.concat(
            Stream.fromIterable(Option.match(initial, { onNone: () => [], onSome: (o) => [{ type: "ADDED" as const, object: o }] })),
            Stream.fromQueue(sub)
          )
        })),
      create: (_type, object, o) =>
        Effect.gen(function*() {
          yield* Ref.update(writes, (w) => [...w, o?.dryRun === true ? "create(dryRun)" : "create"])
          if (Option.isSome(yield* Ref.get(app))) return yield* new AlreadyExists({ message: `apps.app.rancherdesktop.io "app" already exists` })
          const stored = stamp({ ...object, spec: { namespace: "default", containerEngine: { name: "moby" }, ...(object["spec"] as object) } }, 1)
          yield* admit(stored)
          if (o?.dryRun !== true) {
            yield* Ref.set(app, Option.some(stored))
            yield* publish("ADDED", stored)
          }
          return stored
        }),
      update: () => unused("update"),
      patch: (_ref, patch, type, o) =>
        Effect.gen(function*() {
          yield* Ref.update(writes, (w) => [...w, o?.dryRun === true ? `patch-${type}(dryRun)` : `patch-${type}`])
          const current = yield* Ref.get(app)
          if (Option.isNone(current)) return yield* Effect.dieMessage("patch of a missing App")
          const next = MergePatch.apply(current.value as unknown as Json, patch as Json) as unknown as KubeObject
          const changed = !specEqual(current.value, next)
          const stored = stamp(next, (current.value.metadata.generation ?? 1) + (changed ? 1 : 0))
          yield* admit(stored)
          if (o?.dryRun !== true) {
            yield* Ref.set(app, Option.some(stored))
            yield* publish("MODIFIED", stored)
          }
          return stored
        }),
      patchStatus: () => unused("patchStatus"),
      delete: () => unused("delete")
    })
    return { app, writes, setConditions, deleteApp, layer: Layer.succeed(KubeClient, client) }
  })
