/**
 * The App's `ContainerEngineReady` condition as a pure function of what the
 * engine controller observed in one pass: the App's spec and generation, the
 * state of its VM, the last probe of the engine, and since when the engine has
 * been expected to answer. Reasons: Starting, Ready, Stopped, NotApplicable,
 * Failed (the engine stayed unready for `failAfter` once the VM ran the
 * current template: a `...Failed` reason ends `rdd set` at once).
 */
import * as Duration from "effect/Duration"
import type { ContainerEngine } from "../App.js"

export const Reason = {
  Starting: "Starting",
  Ready: "Ready",
  Stopped: "Stopped",
  NotApplicable: "NotApplicable",
  Failed: "Failed"
} as const
export type Reason = (typeof Reason)[keyof typeof Reason]

/** How long the engine may stay silent once its VM runs, before the condition says Failed. */
export const DefaultFailAfter = Duration.minutes(3)

/** What the VM is doing, as far as the engine is concerned. */
export type VmState =
  /** no LimaVM, or not running (yet) with the current template */
  | { readonly _tag: "NotRunning" }
  /** running the current template: the engine should answer */
  | { readonly _tag: "Running" }
  /** a console guest (rdd.readyLine): no SSH, no provisioning, so no engine */
  | { readonly _tag: "ConsoleGuest" }

export type Probe =
  | { readonly ok: true; readonly version: string }
  | { readonly ok: false; readonly error: string }

export interface Input {
  readonly engine: ContainerEngine
  readonly shouldRun: boolean
  readonly vm: VmState
  /** the last probe, taken while the VM was Running with this spec; undefined before the first */
  readonly probe: Probe | undefined
  /** epoch ms since the engine has been expected to answer (the VM running the current template) */
  readonly expectedSince: number | undefined
  readonly now: number
  readonly failAfter: Duration.Duration
}

export interface Verdict {
  readonly status: "True" | "False"
  readonly reason: Reason
  readonly message: string
}

export const engineLabel = (engine: ContainerEngine): string => (engine === "moby" ? "dockerd (moby)" : "containerd")

export const decide = (i: Input): Verdict => {
  const label = engineLabel(i.engine)
  if (i.vm._tag === "ConsoleGuest") {
    return { status: "True", reason: Reason.NotApplicable, message: `the VM is a console guest (rdd.readyLine): it runs no ${label}` }
  }
  if (!i.shouldRun) return { status: "False", reason: Reason.Stopped, message: "the VM is stopped" }
  if (i.vm._tag === "NotRunning") {
    return { status: "False", reason: Reason.Starting, message: `waiting for the VM to run the current template before probing ${label}` }
  }
  if (i.probe?.ok === true) return { status: "True", reason: Reason.Ready, message: `${label} ${i.probe.version} is ready` }
  const why = i.probe === undefined ? "not probed yet" : i.probe.error
  const waited = i.expectedSince === undefined ? 0 : i.now - i.expectedSince
  if (waited >= Duration.toMillis(i.failAfter)) {
    return {
      status: "False",
      reason: Reason.Failed,
      message: `${label} did not answer within ${Duration.format(i.failAfter)} of the VM running: ${why}`
    }
  }
  // no probe error here: it changes from probe to probe (ECONNRESET, EPIPE) and every new text is a
  // status write, an App event and at once another pass and probe: the controller spun on it
  return { status: "False", reason: Reason.Starting, message: `waiting for ${label} to answer` }
}
