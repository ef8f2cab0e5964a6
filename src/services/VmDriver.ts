/**
 * Virtual machines in domain terms (SPEC 4.3): what the LimaVM controller asks of a
 * driver — create the instance, start it, know when the guest itself says it has
 * booted, stop it gracefully, delete it, and re-attach to a VM that outlived a daemon.
 * Implementations: QemuDriver (real QEMU), LimactlDriver (`limactl`), and the fake in
 * test/fakes. Each VM lives in `<lima_home>/<name>/`; the driver keeps no state that
 * a restarted daemon could not rebuild from that directory.
 */
import * as Context from "effect/Context"
import * as Data from "effect/Data"
import type * as Duration from "effect/Duration"
import type * as Effect from "effect/Effect"
import type { LimaTemplate } from "../domain/LimaTemplate.js"

/** The instance could not be created (bad template for this driver, missing or remote image, I/O). */
export class CreateFailed extends Data.TaggedError("CreateFailed")<{
  readonly name: string
  readonly message: string
}> {}

/** The VM could not be started, or its process ended before the guest signalled boot. */
export class StartFailed extends Data.TaggedError("StartFailed")<{
  readonly name: string
  readonly message: string
}> {}

/** The VM is still running after every step of the stop escalation. */
export class StopFailed extends Data.TaggedError("StopFailed")<{
  readonly name: string
  readonly message: string
}> {}

/** The instance's files could not be removed (after the VM was stopped). */
export class DeleteFailed extends Data.TaggedError("DeleteFailed")<{
  readonly name: string
  readonly message: string
}> {}

export interface VmSpec {
  /** the LimaVM name: the instance directory `<lima_home>/<name>` */
  readonly name: string
  /** the template text, stored as `<lima_home>/<name>/lima.yaml` (read again at each start) */
  readonly templateText: string
  readonly template: LimaTemplate
}

/**
 * Absent: no instance directory. Stopped: created, no VM process.
 * Starting: the VM process runs but the guest has not signalled boot yet.
 * Running: the guest signalled boot (serial-console line or guest agent), not merely "process exists".
 * `detail` says what a starting VM still waits for (SSH, cloud-init, a probe's hint);
 * `sshLocalPort` is the host port of the guest's SSH server, for guests that have one.
 * Broken: a VM process exists but does not answer its control channel (e.g. frozen with SIGSTOP).
 */
export type VmState =
  | { readonly _tag: "Absent" }
  | { readonly _tag: "Stopped" }
  | { readonly _tag: "Starting"; readonly pid: number; readonly detail?: string; readonly sshLocalPort?: number }
  | { readonly _tag: "Running"; readonly pid: number; readonly sshLocalPort?: number }
  | { readonly _tag: "Broken"; readonly pid: number; readonly reason: string }

export interface StopOptions {
  /** how long the guest gets to power off after the ACPI power button before harder steps; 0 skips it */
  readonly grace?: Duration.DurationInput
}

export interface VmDriverShape {
  readonly kind: "qemu" | "lima" | "fake"
  /**
   * Creates the instance, or updates its stored template when it exists (takes effect at the next start).
   * May take minutes (image downloads); `onProgress` receives a human progress line now and then.
   */
  readonly create: (spec: VmSpec, onProgress?: (text: string) => void) => Effect.Effect<void, CreateFailed>
  /** The stored template text (`lima.yaml`), undefined when the instance does not exist. */
  readonly storedTemplate: (name: string) => Effect.Effect<string | undefined>
  /**
   * Starts the VM from its stored template and returns once its process runs (its pid);
   * does not wait for the guest to boot. A VM that already runs is left alone (same pid).
   */
  readonly start: (name: string) => Effect.Effect<{ readonly pid: number }, StartFailed>
  /**
   * Completes when the guest has signalled boot; fails at once with StartFailed (with
   * the console's last lines) when the VM process ends first. Unbounded: the caller
   * bounds it with its deadline (Wait.waitFor). `onChange` is told when what the VM
   * waits for changes (then `status` has the new `detail`).
   */
  readonly awaitRunning: (name: string, onChange?: Effect.Effect<void>) => Effect.Effect<void, StartFailed>
  /** Completes when the VM's process is gone (at once when it is not running). Unbounded. */
  readonly awaitExit: (name: string) => Effect.Effect<void>
  /** Cheap state from the instance directory and the process table. */
  readonly status: (name: string) => Effect.Effect<VmState>
  /**
   * After a daemon restart: re-attaches to a VM that kept running (process identity
   * checked, control channel answered) without rebooting it; clears stale files of a
   * VM that died. Returns the resulting state.
   */
  readonly adopt: (name: string) => Effect.Effect<VmState>
  /** Graceful stop: ACPI power button, then quit after the grace period, then SIGKILL. No-op when stopped. */
  readonly stop: (name: string, options?: StopOptions) => Effect.Effect<void, StopFailed>
  /** Stops the VM without grace if it runs, then removes its directory. No-op when absent. */
  readonly delete: (name: string) => Effect.Effect<void, StopFailed | DeleteFailed>
  /** Names of the instances on disk. */
  readonly list: Effect.Effect<ReadonlyArray<string>>
  /** The VM's console log (what `rdd limavm logs` shows). */
  readonly logPath: (name: string) => string
}

export class VmDriver extends Context.Tag("rdd/VmDriver")<VmDriver, VmDriverShape>() {}

/** Running or Starting: a VM process exists and is ours. */
export const isUp = (state: VmState): state is Extract<VmState, { pid: number }> =>
  state._tag === "Running" || state._tag === "Starting" || state._tag === "Broken"
