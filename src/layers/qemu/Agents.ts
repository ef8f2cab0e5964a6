/**
 * The host agents of the driver's running VMs: one supervised fiber per VM, forked
 * into the driver's scope, restarted with capped exponential backoff when its SSH
 * master breaks, and stopped with the VM. Its state is read synchronously by the
 * driver's `status` (a mirror of the SubscriptionRef) and awaited by `awaitRunning`.
 */
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as HostAgent from "./HostAgent.js"

interface Entry {
  readonly state: SubscriptionRef.SubscriptionRef<HostAgent.AgentState>
  readonly fiber: Fiber.RuntimeFiber<void, never>
  current: HostAgent.AgentState
}

export interface Agents {
  /** starts the VM's agent unless it runs; `build` is called only to start one */
  readonly ensure: (name: string, build: () => { readonly ops: HostAgent.SshOps; readonly config: HostAgent.AgentConfig }) => Effect.Effect<void>
  /** the agent's latest state, undefined when none runs */
  readonly current: (name: string) => HostAgent.AgentState | undefined
  /** completes when the agent is Ready; the Failed message otherwise; unbounded */
  readonly awaitReady: (name: string, onChange: Effect.Effect<void>) => Effect.Effect<void, string>
  readonly stop: (name: string) => Effect.Effect<void>
}

const Restart = Schedule.exponential("1 second").pipe(Schedule.union(Schedule.spaced("30 seconds")))

export const make: Effect.Effect<Agents, never, Scope.Scope> = Effect.gen(function*() {
  const scope = yield* Effect.scope
  const entries = new Map<string, Entry>()

  const ensure: Agents["ensure"] = (name, build) =>
    Effect.gen(function*() {
      if (entries.has(name)) return
      const { ops, config } = build()
      const initial = HostAgent.AgentState.Waiting({ detail: "waiting for SSH" })
      const state = yield* SubscriptionRef.make<HostAgent.AgentState>(initial)
      const supervised = HostAgent.run(ops, config, state).pipe(
        Effect.tapError((e) => config.log(`host agent stopped: ${e.message}; restarting it`)),
        Effect.retry(Restart),
        Effect.catchAll(() => Effect.void)
      )
      const fiber = yield* Effect.forkIn(supervised, scope)
      const entry: Entry = { state, fiber, current: initial }
      entries.set(name, entry)
      yield* Effect.forkIn(Stream.runForEach(state.changes, (s) => Effect.sync(() => (entry.current = s))), scope).pipe(
        Effect.tap((mirror) => Effect.forkIn(Effect.zipRight(Fiber.await(fiber), Fiber.interrupt(mirror)), scope))
      )
    })

  const awaitReady: Agents["awaitReady"] = (name, onChange) =>
    Effect.suspend(() => {
      const entry = entries.get(name)
      if (entry === undefined) return Effect.fail("the VM's host agent is not running")
      return entry.state.changes.pipe(
        Stream.tap(() => onChange),
        Stream.filter((s) => s._tag !== "Waiting"),
        Stream.runHead,
        Effect.flatMap((s) =>
          s._tag === "Some" && s.value._tag === "Failed" ? Effect.fail(s.value.message) : Effect.void)
      )
    })

  const stop: Agents["stop"] = (name) =>
    Effect.suspend(() => {
      const entry = entries.get(name)
      if (entry === undefined) return Effect.void
      entries.delete(name)
      return Fiber.interrupt(entry.fiber).pipe(Effect.asVoid)
    })

  return { ensure, current: (name) => entries.get(name)?.current, awaitReady, stop }
})
