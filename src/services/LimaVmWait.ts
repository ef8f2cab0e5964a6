/**
 * The one waiter of the LimaVM verbs (SPEC 4.5, reference 4.3 and defects 153,
 * 155): a watch on the one named object through KubeClient.watch (which lists
 * first, resumes after drops and re-lists on 410 Gone), each state judged by a
 * verdict function that can succeed, keep waiting, or fail at once (StartFailed,
 * CreateFailed, deleted). Bounded by the command's deadline through Wait.waitFor
 * (exit 4), with the progress line on a terminal.
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Stream from "effect/Stream"
import type * as Deadline from "../domain/Deadline.js"
import { Failure, type WaitTimeout } from "../domain/Errors.js"
import type { KubeObject } from "../domain/KubeObject.js"
import * as LimaVm from "../domain/LimaVm.js"
import { KubeClient, type KubeError } from "./KubeClient.js"
import { type Progress, withProgress } from "./Progress.js"
import { waitFor } from "./Wait.js"

export type Verdict<A> =
  | { readonly _tag: "Done"; readonly value: A }
  | { readonly _tag: "Wait" }
  | { readonly _tag: "Fail"; readonly message: string }

export const done = <A>(value: A): Verdict<A> => ({ _tag: "Done", value })
export const keepWaiting: Verdict<never> = { _tag: "Wait" }
export const fail = (message: string): Verdict<never> => ({ _tag: "Fail", message })

export interface Target {
  readonly namespace: string
  readonly name: string
  /** the object awaited; another object with the same name means ours was deleted */
  readonly uid: string
}

const RecheckAfter = Duration.seconds(1)

const deletedWhileWaiting = (t: Target) => `LimaVM ${JSON.stringify(t.name)} was deleted while waiting`

/**
 * Waits until `judge` says Done for the object's current state. `onDeleted`
 * decides what deletion means (a failure for start/stop, success for delete).
 */
export const until = <A>(
  target: Target,
  what: string,
  deadline: Deadline.Deadline,
  judge: (vm: LimaVm.LimaVm) => Verdict<A>,
  options: { readonly onDeleted?: () => Verdict<A>; readonly leftBehind?: string } = {}
): Effect.Effect<A, Failure | WaitTimeout | KubeError, KubeClient | Progress> =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const onDeleted = options.onDeleted ?? (() => fail(deletedWhileWaiting(target)))
    // what the VM says right now, for the progress line; logged once per change for non-TTY users
    const stuckOn = yield* Ref.make("")
    const note = (vm: LimaVm.LimaVm) =>
      Effect.gen(function*() {
        const now = stateOf(vm)
        if (now === (yield* Ref.getAndSet(stuckOn, now)) || now === "") return
        yield* Effect.logInfo(`LimaVM ${JSON.stringify(target.name)}: ${now}`)
      })
    const judgeObject = (object: Option.Option<KubeObject>): Effect.Effect<Verdict<A>> => {
      if (Option.isNone(object) || (object.value.metadata.uid !== undefined && object.value.metadata.uid !== target.uid)) {
        return Effect.succeed(onDeleted())
      }
      const vm = LimaVm.fromObject(object.value)
      const verdict = judge(vm)
      return verdict._tag === "Wait" ? Effect.as(note(vm), verdict) : Effect.succeed(verdict)
    }
    const current = kube.get(LimaVm.refOf(target.namespace, target.name)).pipe(Effect.flatMap(judgeObject))
    const watched = kube.watch(LimaVm.LimaVmType, { namespace: target.namespace, fieldSelector: `metadata.name=${target.name}` }).pipe(
      Stream.mapEffect((event): Effect.Effect<Verdict<A>> => {
        if (event.type === "BOOKMARK") return Effect.succeed(keepWaiting)
        return event.type === "DELETED" ? judgeObject(Option.none()) : judgeObject(Option.some(event.object))
      })
    )
    // The watch starts with a list of what exists; an object deleted between the first
    // GET and that list yields no event at all, so look once more after a moment.
    const recheck = Stream.fromEffect(Effect.zipRight(Effect.sleep(RecheckAfter), current))
    const verdicts = Stream.concat(Stream.fromEffect(current), Stream.merge(watched, recheck)).pipe(
      Stream.filter((v) => v._tag !== "Wait"),
      Stream.take(1),
      Stream.runHead
    )
    const body = Effect.flatMap(verdicts, (v) =>
      Option.match(v, {
        onNone: () => Effect.fail(new Failure({ message: `the watch on LimaVM ${JSON.stringify(target.name)} ended unexpectedly` })),
        onSome: (verdict) =>
          verdict._tag === "Done"
            ? Effect.succeed(verdict.value)
            : Effect.fail(new Failure({ message: verdict._tag === "Fail" ? verdict.message : "unexpected state" }))
      }))
    // what is left is said with the VM's state as last seen, not only what the verb hoped for
    const leftBehind = options.leftBehind === undefined
      ? undefined
      : Effect.map(Ref.get(stuckOn), (state) => (state === "" ? options.leftBehind! : `${options.leftBehind!}; it last said ${state}`))
    return yield* waitFor(what, deadline, withProgress(what, deadline, Ref.get(stuckOn))(body), leftBehind === undefined ? {} : { leftBehind })
  })

/**
 * The condition a waiting VM is held up by, as `Type=Status: message (Reason)`:
 * Created while it is not True (e.g. a download that keeps failing), else Running.
 */
export const stateOf = (vm: LimaVm.LimaVm): string => {
  const created = LimaVm.condition(vm, LimaVm.ConditionTypes.Created)
  const c = created !== undefined && created.status !== "True" ? created : LimaVm.condition(vm, LimaVm.ConditionTypes.Running)
  return c === undefined ? "" : `${c.type}=${c.status}: ${c.message ?? ""} (${c.reason ?? ""})`
}

/** Fail-fast reasons (SPEC 1.2): the VM reports it cannot be created or started. */
export const failure = (vm: LimaVm.LimaVm): string | undefined => {
  const created = LimaVm.condition(vm, LimaVm.ConditionTypes.Created)
  if (created?.status === "False" && created.reason === LimaVm.Reasons.CreateFailed) {
    return `LimaVM ${JSON.stringify(vm.name)} could not be created: ${created.message ?? ""}`
  }
  const running = LimaVm.condition(vm, LimaVm.ConditionTypes.Running)
  if (running?.status === "False" && running.reason === LimaVm.Reasons.StartFailed) {
    return `LimaVM ${JSON.stringify(vm.name)} failed to start: ${running.message ?? ""}`
  }
  return undefined
}

/** Status reflects at least `generation` of the spec (SPEC 4.4: never a stale True or False). */
export const observed = (vm: LimaVm.LimaVm, generation: number): boolean => (vm.status.observedGeneration ?? 0) >= generation
