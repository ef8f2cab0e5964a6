/**
 * The App's `KubernetesReady` condition as a pure function of what the
 * kubernetes controller observed in one pass (the model is EngineReady):
 * whether Kubernetes is enabled and the VM runs the current template, the
 * guest's install verdict (K3s.GuestStatusFile), whether k3s's kubeconfig was
 * read, the probe of its API through the forwarded port, and the kubeconfig
 * merge. Reasons as the Go tool's (NotApplicable, NotRunning, Probing, Ready,
 * MergeFailed) plus InstallFailed and StartFailed: a `...Failed` reason ends
 * `rdd set` at once, so a k3s that cannot be downloaded is reported within
 * seconds of the boot instead of at the command's deadline.
 */
import * as Duration from "effect/Duration"

export const Reason = {
  NotApplicable: "NotApplicable",
  NotRunning: "NotRunning",
  Probing: "Probing",
  Ready: "Ready",
  InstallFailed: "InstallFailed",
  StartFailed: "StartFailed",
  MergeFailed: "MergeFailed"
} as const
export type Reason = (typeof Reason)[keyof typeof Reason]

/** How long k3s may take to answer once its VM runs (a first k3s start under TCG is slow). */
export const DefaultFailAfter = Duration.minutes(10)

export type VmState =
  | { readonly _tag: "NotRunning" }
  | { readonly _tag: "Running" }
  /** a console guest (rdd.readyLine) runs no provisioning: no k3s */
  | { readonly _tag: "ConsoleGuest" }

/** What the guest said: the status line of the provision script and k3s's kubeconfig (undefined: not there yet). */
export interface GuestView {
  readonly status: string | undefined
  readonly kubeconfig: string | undefined
}

export type Probe = { readonly ok: true } | { readonly ok: false; readonly error: string }

export interface Input {
  readonly enabled: boolean
  readonly shouldRun: boolean
  readonly version: string
  readonly vm: VmState
  /** undefined: not asked (VM not running) or SSH failed (then `guestError`) */
  readonly guest: GuestView | undefined
  readonly guestError?: string
  /** the API probe through the host port, once the kubeconfig was read */
  readonly probe: Probe | undefined
  /** the merge into the user's kubeconfig failed (message) */
  readonly mergeError?: string
  readonly expectedSince: number | undefined
  readonly now: number
  readonly failAfter: Duration.Duration
}

export interface Verdict {
  readonly status: "True" | "False"
  readonly reason: Reason
  readonly message: string
}

const notYet = (reason: Reason, message: string): Verdict => ({ status: "False", reason, message })

export const decide = (i: Input): Verdict => {
  if (!i.enabled) return { status: "True", reason: Reason.NotApplicable, message: "Kubernetes is not enabled" }
  if (i.vm._tag === "ConsoleGuest") {
    return notYet(Reason.InstallFailed, "the VM is a console guest (rdd.readyLine): it runs no provisioning, so no k3s")
  }
  if (!i.shouldRun || i.vm._tag === "NotRunning") return notYet(Reason.NotRunning, "VM is not running")
  const status = i.guest?.status?.trim() ?? ""
  if (status.startsWith("failed:")) return notYet(Reason.InstallFailed, `k3s ${i.version}: ${status.slice("failed:".length).trim()}`)
  if (i.probe?.ok === true) {
    if (i.mergeError !== undefined) return notYet(Reason.MergeFailed, i.mergeError)
    return { status: "True", reason: Reason.Ready, message: "Kubernetes cluster is ready" }
  }
  const waited = i.expectedSince === undefined ? 0 : i.now - i.expectedSince
  if (waited >= Duration.toMillis(i.failAfter)) {
    const why = i.guestError ?? (i.guest?.kubeconfig === undefined
      ? `no kubeconfig from k3s yet (install status: ${status === "" ? "none" : status})`
      : i.probe === undefined ? "not probed" : i.probe.error)
    return notYet(Reason.StartFailed, `k3s ${i.version} did not answer within ${Duration.format(i.failAfter)} of the VM running: ${why}`)
  }
  // no error text while waiting: it changes from probe to probe, and each new text is a status write and a new pass
  return notYet(Reason.Probing, "Waiting for k3s API server")
}
