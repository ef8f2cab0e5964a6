/**
 * One worker fiber per LimaVM (SPEC 4.4: a slow stop of one VM never blocks
 * another), kept in a FiberMap keyed by namespace/name. The LimaVM watch only
 * records the newest object and wakes the worker; the worker runs one reconcile
 * pass per wake-up (coalescing bursts), and after a failed pass waits with capped
 * exponential backoff, cut short only by a significant change (spec, deletion,
 * annotations, the template copy, or the VM's own boot/exit) — never by its own
 * status writes, so a failing VM cannot hot-loop.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as FiberMap from "effect/FiberMap"
import * as Option from "effect/Option"
import * as Queue from "effect/Queue"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import type { KubeObject } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import * as Reconciler from "./Reconciler.js"
import * as Runtime from "./Runtime.js"

export interface BackoffPolicy {
  readonly initial: Duration.Duration
  readonly max: Duration.Duration
}

export const DefaultBackoff: BackoffPolicy = { initial: Duration.seconds(1), max: Duration.minutes(2) }

interface Worker {
  readonly latest: Ref.Ref<LimaVm.LimaVm>
  readonly queue: Queue.Queue<boolean>
  readonly rt: Runtime.VmRuntime
}

export interface Workers {
  /** records the object and wakes (or starts) its worker */
  readonly upsert: (object: KubeObject) => Effect.Effect<void>
  /** the object is gone: stop its worker */
  readonly remove: (namespace: string, name: string) => Effect.Effect<void>
  /** wakes the worker of a VM (a template copy changed) */
  readonly poke: (namespace: string, name: string) => Effect.Effect<void>
  /** stops every worker for good (shutdown) */
  readonly stopAll: Effect.Effect<void>
  /** the in-memory phase of a VM (tests, diagnostics) */
  readonly phase: (namespace: string, name: string) => Effect.Effect<Option.Option<Runtime.Phase>>
}

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`

/** A change the user made (not our own status write): cuts a backoff short. */
const significant = (before: LimaVm.LimaVm, after: LimaVm.LimaVm): boolean =>
  before.generation !== after.generation ||
  before.deleting !== after.deleting ||
  before.uid !== after.uid ||
  JSON.stringify(before.annotations) !== JSON.stringify(after.annotations) ||
  JSON.stringify(before.object.metadata.finalizers ?? []) !== JSON.stringify(after.object.metadata.finalizers ?? [])

const newer = (a: LimaVm.LimaVm, b: LimaVm.LimaVm): boolean => {
  const ra = a.object.metadata.resourceVersion ?? ""
  const rb = b.object.metadata.resourceVersion ?? ""
  return /^\d+$/.test(ra) && /^\d+$/.test(rb) ? BigInt(ra) > BigInt(rb) : ra !== rb
}

export const make = (
  deps: Reconciler.Deps,
  policy: BackoffPolicy = DefaultBackoff
): Effect.Effect<Workers, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fibers = yield* FiberMap.make<string>()
    const workers = new Map<string, Worker>()
    // set by stopAll: during a shutdown drain no event may start a worker (and a VM) again
    let closed = false

    const loop = (key: string, w: Worker, scope: Scope.Scope): Effect.Effect<never> => {
      const waitSignificant: Effect.Effect<void> = Effect.flatMap(Queue.take(w.queue), (s) => (s ? Effect.void : waitSignificant))
      const pass = (failures: number): Effect.Effect<never> =>
        Effect.gen(function*() {
          yield* Queue.take(w.queue)
          yield* Queue.takeAll(w.queue)
          const vm = yield* Ref.get(w.latest)
          const observe = (written: LimaVm.LimaVm) =>
            Ref.update(w.latest, (cur) => (cur.uid === written.uid && newer(written, cur) ? written : cur))
          const result = yield* Effect.either(Reconciler.reconcile(deps, w.rt, scope, vm, observe).pipe(
            // a bug in one pass must not end this VM's worker for the rest of the daemon's life
            Effect.catchAllDefect((defect) =>
              Effect.zipRight(
                Effect.logError(`LimaVM ${key}: internal error in reconcile`, defect),
                Effect.fail(new Reconciler.ReconcileFailed({ message: `internal error: ${String(defect)}` }))
              ))
          ))
          if (result._tag === "Right") {
            const phase = yield* Ref.get(w.rt.phase)
            // a start "succeeds" before the guest boots: only a settled VM resets the backoff
            return phase._tag === "Running" || phase._tag === "Stopped" || phase._tag === "Unknown" ? 0 : failures
          }
          const n = failures + 1
          const delay = Reconciler.backoff(n, policy.initial, policy.max)
          yield* Effect.logWarning(`LimaVM ${key}: ${result.left.message} (retrying in ${Duration.format(delay)})`)
          yield* Effect.raceFirst(Effect.sleep(delay), waitSignificant)
          yield* Queue.offer(w.queue, true)
          return n
        }).pipe(Effect.flatMap(pass))
      return pass(0)
    }

    const start = (object: KubeObject) =>
      Effect.gen(function*() {
        const vm = LimaVm.fromObject(object)
        const key = keyOf(vm.namespace, vm.name)
        const queue = yield* Queue.unbounded<boolean>()
        const rt = yield* Runtime.make((s) => Queue.offer(queue, s).pipe(Effect.asVoid))
        const w: Worker = { latest: yield* Ref.make(vm), queue, rt }
        workers.set(key, w)
        yield* Queue.offer(queue, true)
        yield* FiberMap.run(fibers, key, Effect.scoped(Effect.flatMap(Effect.scope, (scope) => loop(key, w, scope))))
      })

    return {
      upsert: (object) =>
        Effect.gen(function*() {
          if (closed) return
          const vm = LimaVm.fromObject(object)
          const w = workers.get(keyOf(vm.namespace, vm.name))
          if (w === undefined) return yield* start(object)
          const before = yield* Ref.get(w.latest)
          if (before.uid !== vm.uid) {
            // same name, new object: a fresh worker with a fresh runtime
            yield* FiberMap.remove(fibers, keyOf(vm.namespace, vm.name))
            return yield* start(object)
          }
          if (!newer(vm, before)) return
          yield* Ref.set(w.latest, vm)
          yield* Queue.offer(w.queue, significant(before, vm))
        }),
      remove: (namespace, name) =>
        Effect.suspend(() => {
          workers.delete(keyOf(namespace, name))
          return FiberMap.remove(fibers, keyOf(namespace, name))
        }),
      poke: (namespace, name) =>
        Effect.suspend(() => {
          const w = workers.get(keyOf(namespace, name))
          return w === undefined ? Effect.void : Queue.offer(w.queue, true).pipe(Effect.asVoid)
        }),
      stopAll: Effect.suspend(() => {
        closed = true
        workers.clear()
        return FiberMap.clear(fibers)
      }),
      phase: (namespace, name) =>
        Effect.suspend(() => {
          const w = workers.get(keyOf(namespace, name))
          return w === undefined ? Effect.succeed(Option.none()) : Effect.map(Ref.get(w.rt.phase), Option.some)
        })
    }
  })
