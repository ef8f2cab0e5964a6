/**
 * The controller framework of the daemon. A controller is a value:
 *
 * ```ts
 * export const limavm: Controller = {
 *   name: "limavm",                       // as in --controllers and the discovery ConfigMap
 *   crds: [limaVmCrd],                    // CustomResourceDefinition objects, installed through the API
 *   admission: [limaVmAdmission],         // Admission.AdmissionPlugin values (mutate/validate per type),
 *                                         // or a function of the daemon's client and paths
 *   run: Effect.gen(function*() {         // scoped: fork fibers (FiberMap per object) and return,
 *     ...                                 // optionally with the hook that registers for shutdown
 *     return { onShutdown: stopAllVms }   // notification (SPEC 3.6)
 *   })
 * }
 * ```
 *
 * Lifecycle, driven by serve.ts in this order: every selected controller's CRDs
 * are created (or updated) through the normal CRD path and established; its
 * admission plugins are registered; its `run` is started in its own scope with a
 * KubeClient (the in-process one: same admission/validation/storage path as
 * HTTPS) and must return once its watches are running — readiness is announced
 * only after every `run` has returned. `run` should fork long-lived work with
 * `Effect.forkScoped` / a `FiberMap` keyed by object; the scope is closed at
 * shutdown, in reverse start order, after the drain.
 *
 * Shutdown notification: a controller whose `run` returned an `onShutdown` gets a ConfigMap
 * `rdd-system/shutdown-<name>` labelled `shutdown.rancherdesktop.io/notification=true`.
 * On the first SIGINT/SIGTERM the daemon annotates it
 * `shutdown.rancherdesktop.io/shutdown=pending`; the framework then runs
 * `onShutdown` (while the API still serves) and sets `complete`. The daemon waits
 * for all of them, at most 45s in total, before it stops the controllers.
 *
 * Builtin controllers (namespace, garbage collector) also get `Api` (the
 * internal request path) because they act on every resource type at once.
 */
import * as Context from "effect/Context"
import type * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type { KubeObject } from "../../domain/KubeObject.js"
import type { KubeClient, KubeClientShape } from "../../services/KubeClient.js"
import type { AdmissionPlugin } from "../apiserver/Admission.js"
import type { Api } from "../apiserver/Resources.js"

/** What a controller may know about the daemon it runs in. */
export interface DaemonInfo {
  readonly instance: string
  readonly startId: string
  readonly paths: {
    readonly lima_home: string
    readonly dir: string
    readonly tls_dir: string
    readonly short_dir: string
    readonly k3s_config: string
  }
}
export class Daemon extends Context.Tag("rdd/controlplane/Daemon")<Daemon, DaemonInfo>() {}

export type ControllerEnv = KubeClient | Daemon | Scope.Scope

/** What admission plugins that read the API (or the daemon's paths) are made with. */
export interface AdmissionEnv {
  readonly kube: KubeClientShape
  readonly daemon: DaemonInfo
}

/** What a running controller may hand back to the framework. */
export interface Started {
  /** cleanup run on the first shutdown signal, while the API still serves (bounded by the 45s drain cap) */
  readonly onShutdown?: Effect.Effect<void, never, KubeClient | Daemon>
}

export interface Controller {
  readonly name: string
  readonly crds?: ReadonlyArray<KubeObject>
  readonly admission?: ReadonlyArray<AdmissionPlugin> | ((env: AdmissionEnv) => ReadonlyArray<AdmissionPlugin>)
  /** starts the controller's work in the given scope and returns once it is running */
  readonly run: Effect.Effect<void | Started, never, ControllerEnv>
}

export const admissionOf = (controller: Controller, env: AdmissionEnv): ReadonlyArray<AdmissionPlugin> =>
  typeof controller.admission === "function" ? controller.admission(env) : controller.admission ?? []

/** A builtin controller that also uses the internal API (all resource types). */
export interface BuiltinController extends Omit<Controller, "run"> {
  readonly run: Effect.Effect<void, never, ControllerEnv | Api>
}

export const SystemNamespace = "rdd-system"
export const NotificationLabel = "shutdown.rancherdesktop.io/notification"
export const ShutdownAnnotation = "shutdown.rancherdesktop.io/shutdown"
export const DiscoveryName = "rdd-controller-manager"
export const ReadyAnnotation = "rdd.rancherdesktop.io/ready"
