/**
 * What the LimaVM controller knows about one VM beyond its API object: the phase
 * of the VM process as this daemon run has observed it. `Unknown` means "not yet
 * looked at by this daemon run" (first sight after a start: adopt, do not
 * reboot). Background watchers (boot, exit) only update the phase and wake the
 * VM's worker; all API writes happen in the worker's reconcile pass, so each VM
 * has exactly one writer.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"

export type Phase = Data.TaggedEnum<{
  Unknown: object
  Starting: object
  Running: object
  Stopped: object
  /** the VM process ended before the guest signalled boot, or could not be started */
  BootFailed: { readonly message: string }
  /** the VM process ended after the guest had booted, without being asked to */
  Exited: object
  /** a VM process exists but does not answer its control channel */
  Broken: { readonly message: string }
}>
export const Phase = Data.taggedEnum<Phase>()

export interface VmRuntime {
  readonly phase: Ref.Ref<Phase>
  /** the running boot/exit watcher, interrupted when the phase is decided otherwise */
  readonly watcher: Ref.Ref<Option.Option<Fiber.RuntimeFiber<void, never>>>
  /** wakes the VM's worker; `significant` cuts a backoff short */
  readonly wake: (significant: boolean) => Effect.Effect<void>
}

export const make = (wake: (significant: boolean) => Effect.Effect<void>): Effect.Effect<VmRuntime> =>
  Effect.map(
    Effect.all([Ref.make<Phase>(Phase.Unknown()), Ref.make(Option.none<Fiber.RuntimeFiber<void, never>>())]),
    ([phase, watcher]) => ({ phase, watcher, wake })
  )

/** Stops the current watcher (if any). */
export const stopWatcher = (rt: VmRuntime): Effect.Effect<void> =>
  Effect.flatMap(Ref.getAndSet(rt.watcher, Option.none()), Option.match({
    onNone: () => Effect.void,
    onSome: (f) => Fiber.interrupt(f).pipe(Effect.asVoid)
  }))

export const isUp = (p: Phase): boolean => p._tag === "Starting" || p._tag === "Running" || p._tag === "Broken"
