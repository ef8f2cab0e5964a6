/**
 * One reconcile pass of the App singleton: cleanup finalizer → the namespace of
 * `spec.namespace` → the VM template rendered from the settings → the LimaVM
 * `rd` (created from an input ConfigMap the first time; afterwards its template
 * copy is rewritten when the rendering changes, which makes the LimaVM
 * controller restart a running VM) → `spec.running` passed on (stop before a
 * template rewrite, start after it) → status (mirrored conditions, Settled).
 * Deletion runs through the cleanup finalizer: the LimaVM goes first (its
 * owned-by finalizer is removed so it may be deleted), then what the App made.
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as App from "../../../domain/App.js"
import * as AppStatus from "../../../domain/app/AppStatus.js"
import * as VmTemplate from "../../../domain/app/VmTemplate.js"
import { Core, type KubeObject, type ObjectRef, type OwnerReference } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import { timestamp } from "../../../domain/limavm/Conditions.js"
import type { KubeClientShape, KubeError } from "../../../services/KubeClient.js"
import type { AppHost } from "./Host.js"

export class ReconcileFailed extends Data.TaggedError("ReconcileFailed")<{ readonly message: string }> {}

export interface Deps {
  readonly kube: KubeClientShape
  readonly host: AppHost
  /** which optional controllers run, read at every pass (default: none, the App controller alone) */
  readonly parts?: Effect.Effect<AppStatus.Parts>
}

const failed = (what: string) => (e: { readonly message: string }) => new ReconcileFailed({ message: `${what}: ${e.message}` })

const ignoreNotFound = <A>(self: Effect.Effect<A, KubeError>): Effect.Effect<void, KubeError> =>
  Effect.asVoid(self).pipe(Effect.catchTag("NotFound", () => Effect.void))

export const controllerRef = (app: KubeObject): OwnerReference => ({
  apiVersion: App.ApiVersion,
  kind: App.Kind,
  name: app.metadata.name ?? App.SingletonName,
  uid: app.metadata.uid ?? "",
  controller: true,
  blockOwnerDeletion: true
})

const controlledBy = (o: KubeObject, app: KubeObject): boolean =>
  (o.metadata.ownerReferences ?? []).some((r) => r.controller === true && r.uid === app.metadata.uid)

const cmRef = (namespace: string, name: string): ObjectRef => ({ type: Core.configmaps, namespace, name })
const nsRef = (name: string): ObjectRef => ({ type: Core.namespaces, name })

const templateText = (cm: KubeObject | undefined): string | undefined => {
  const data = cm?.["data"]
  const t = typeof data === "object" && data !== null ? (data as Record<string, unknown>)["template"] : undefined
  return typeof t === "string" ? t : undefined
}

/** What blocks the App controller itself, shown in Settled (a `...Failed` reason ends `rdd set` at once). */
interface Blocked {
  readonly reason: string
  readonly message: string
}

const writeStatus = (deps: Deps, app: KubeObject, observed: Omit<AppStatus.Observed, "app" | "now">) =>
  Effect.gen(function*() {
    const now = timestamp(yield* Clock.currentTimeMillis)
    const parts = yield* (deps.parts ?? Effect.succeed(AppStatus.NoParts))
    const next = AppStatus.desired({ ...observed, app, now, parts })
    if (!AppStatus.differs(app, next)) return
    const before = App.findCondition(App.conditionsOf(app), App.ConditionType.Settled)
    const settled = App.findCondition(next.conditions, App.ConditionType.Settled)
    yield* deps.kube.patchStatus(App.SingletonRef, {
      status: { conditions: next.conditions, kubernetesPort: next.kubernetesPort }
    }, "merge").pipe(Effect.mapError(failed("cannot write the App status")))
    if (settled !== undefined && (before?.status !== settled.status || before.reason !== settled.reason)) {
      yield* Effect.logInfo(`App generation ${App.generationOf(app)}: Settled=${settled.status} (${settled.reason}) ${settled.message ?? ""}`)
    }
  })

export const reconcile = (deps: Deps): Effect.Effect<void, ReconcileFailed> =>
  Effect.gen(function*() {
    const { kube, host } = deps
    const found = yield* kube.get(App.SingletonRef).pipe(Effect.mapError(failed("cannot read the App")))
    if (Option.isNone(found)) return
    let app = found.value
    if (app.metadata.deletionTimestamp !== undefined) return yield* deletion(deps, app)

    const finalizers = app.metadata.finalizers ?? []
    if (!finalizers.includes(App.CleanupFinalizer)) {
      app = yield* kube.update(App.SingletonRef, {
        ...app,
        metadata: { ...app.metadata, finalizers: [...finalizers, App.CleanupFinalizer] }
      }).pipe(Effect.mapError(failed("cannot add the cleanup finalizer")))
    }
    const spec = App.specOf(app)

    // the namespace of the VM; the App owns it only when it made it
    const ns = yield* kube.get(nsRef(spec.namespace)).pipe(Effect.mapError(failed("cannot read the namespace")))
    if (Option.isNone(ns)) {
      yield* kube.create(Core.namespaces, {
        apiVersion: "v1",
        kind: "Namespace",
        metadata: { name: spec.namespace, ownerReferences: [controllerRef(app)] }
      }).pipe(Effect.catchTag("AlreadyExists", () => Effect.void), Effect.mapError(failed(`cannot create namespace ${JSON.stringify(spec.namespace)}`)))
    }

    let port = AppStatus.kubernetesPortOf(app)
    if (spec.kubernetesEnabled && port === 0) port = yield* host.pickKubernetesPort
    if (!spec.kubernetesEnabled) port = 0

    const blockedBy = (blocked: Blocked, vm?: LimaVm.LimaVm, copy?: KubeObject) =>
      Effect.zipRight(
        writeStatus(deps, app, { vm, copy, blocked, kubernetesPort: port }),
        Effect.fail(new ReconcileFailed({ message: blocked.message }))
      )

    const base = yield* Effect.either(host.baseTemplate(app.metadata.annotations?.[App.TemplateAnnotation]))
    if (base._tag === "Left") return yield* blockedBy({ reason: "TemplateFailed", message: base.left.message })
    const rendered = VmTemplate.render(base.right, spec, host.params(port))
    if ("error" in rendered) return yield* blockedBy({ reason: "TemplateFailed", message: rendered.error })

    const vmRef = LimaVm.refOf(spec.namespace, App.VmName)
    const inputRef = cmRef(spec.namespace, App.VmName)
    const noLimaVms = `cannot create LimaVM "${App.VmName}": the limavm controller is not enabled in this control plane (start it with --controllers including limavm)`
    // the LimaVM resource type itself is unknown when the limavm controller is not selected
    const lookup = yield* Effect.either(kube.get(vmRef))
    if (lookup._tag === "Left") {
      return yield* lookup.left._tag === "NotFound"
        ? blockedBy({ reason: LimaVm.Reasons.CreateFailed, message: noLimaVms })
        : failed("cannot read the LimaVM")(lookup.left)
    }
    const existing = lookup.right

    if (Option.isNone(existing)) {
      // First time: the input ConfigMap, then the LimaVM whose controller copies it to rd-template.
      yield* kube.create(Core.configmaps, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: App.VmName, namespace: spec.namespace, ownerReferences: [controllerRef(app)] },
        data: { template: rendered.text }
      }).pipe(
        Effect.catchTag("AlreadyExists", () => kube.patch(inputRef, { data: { template: rendered.text } }, "merge")),
        Effect.mapError(failed("cannot write the VM template"))
      )
      const created = yield* kube.create(LimaVm.LimaVmType, {
        apiVersion: LimaVm.ApiVersion,
        kind: LimaVm.Kind,
        metadata: {
          name: App.VmName,
          namespace: spec.namespace,
          finalizers: [App.OwnedByFinalizer],
          ownerReferences: [controllerRef(app)]
        },
        spec: { templateRef: { name: App.VmName }, running: spec.running }
      }).pipe(Effect.either)
      if (created._tag === "Left") {
        const e = created.left
        if (e._tag === "AlreadyExists") return yield* new ReconcileFailed({ message: "LimaVM rd appeared meanwhile; looking again" })
        const message = e._tag === "NotFound" ? noLimaVms : `cannot create LimaVM "${App.VmName}": ${e.message}`
        return yield* blockedBy({ reason: LimaVm.Reasons.CreateFailed, message })
      }
      yield* Effect.logInfo(`created LimaVM ${spec.namespace}/${App.VmName} for the App (running=${spec.running})`)
      return yield* writeStatus(deps, app, { vm: LimaVm.fromObject(created.right), copy: undefined, kubernetesPort: port })
    }

    let vm = LimaVm.fromObject(existing.value)
    if (vm.deleting) {
      return yield* blockedBy({ reason: App.Reason.WaitingForLimaVM, message: `LimaVM ${spec.namespace}/${App.VmName} is being deleted` }, vm)
    }
    if (!controlledBy(vm.object, app)) {
      // left by an earlier App (e.g. deleted while this controller was off): adopt it
      const updated = yield* kube.patch(vmRef, {
        metadata: {
          ownerReferences: [controllerRef(app)],
          finalizers: [...new Set([...(vm.object.metadata.finalizers ?? []), App.OwnedByFinalizer])]
        }
      }, "merge").pipe(Effect.mapError(failed("cannot adopt the LimaVM")))
      vm = LimaVm.fromObject(updated)
    }
    const setRunning = (running: boolean) =>
      kube.patch(vmRef, { spec: { running } }, "merge").pipe(
        Effect.map(LimaVm.fromObject),
        Effect.mapError(failed(`cannot set running=${running} on the LimaVM`))
      )

    const copyRef = cmRef(spec.namespace, App.TemplateCopyName)
    let copy = Option.getOrUndefined(yield* kube.get(copyRef).pipe(Effect.mapError(failed("cannot read the VM template"))))
    if (copy !== undefined) {
      yield* ignoreNotFound(kube.delete(inputRef)).pipe(Effect.mapError(failed("cannot delete the input ConfigMap")))
    }
    if (!spec.running && vm.spec.running) vm = yield* setRunning(false)
    if (copy !== undefined && templateText(copy) !== rendered.text) {
      const rewritten = yield* kube.patch(copyRef, { data: { template: rendered.text } }, "merge").pipe(Effect.either)
      if (rewritten._tag === "Left") {
        const e = rewritten.left
        if (e._tag === "Rejected") return yield* blockedBy({ reason: "TemplateFailed", message: e.message }, vm, copy)
        return yield* failed("cannot rewrite the VM template")(e)
      }
      copy = rewritten.right
      yield* Effect.logInfo(`rewrote the template of LimaVM ${spec.namespace}/${App.VmName} (settings changed)`)
    }
    if (spec.running && !vm.spec.running) vm = yield* setRunning(true)
    yield* writeStatus(deps, app, { vm, copy, kubernetesPort: port })
  })

/** Finalizer-driven deletion; fails (to be retried) while the LimaVM is still going away. */
const deletion = (deps: Deps, app: KubeObject): Effect.Effect<void, ReconcileFailed> =>
  Effect.gen(function*() {
    const { kube } = deps
    if (!(app.metadata.finalizers ?? []).includes(App.CleanupFinalizer)) return
    const spec = App.specOf(app)
    const vmRef = LimaVm.refOf(spec.namespace, App.VmName)
    const vm = yield* kube.get(vmRef).pipe(Effect.mapError(failed("cannot read the LimaVM")))
    if (Option.isSome(vm) && controlledBy(vm.value, app)) {
      const finalizers = vm.value.metadata.finalizers ?? []
      if (finalizers.includes(App.OwnedByFinalizer)) {
        yield* ignoreNotFound(kube.patch(vmRef, { metadata: { finalizers: finalizers.filter((f) => f !== App.OwnedByFinalizer) } }, "merge"))
          .pipe(Effect.mapError(failed("cannot release the LimaVM")))
      }
      if (vm.value.metadata.deletionTimestamp === undefined) {
        yield* ignoreNotFound(kube.delete(vmRef)).pipe(Effect.mapError(failed("cannot delete the LimaVM")))
        yield* Effect.logInfo(`deleting LimaVM ${spec.namespace}/${App.VmName} (the App is being deleted)`)
      }
      // its DELETED event wakes the next pass
      return yield* new ReconcileFailed({ message: `waiting for LimaVM ${spec.namespace}/${App.VmName} to be deleted` })
    }
    const input = yield* kube.get(cmRef(spec.namespace, App.VmName)).pipe(Effect.mapError(failed("cannot read the input ConfigMap")))
    if (Option.isSome(input) && controlledBy(input.value, app)) {
      yield* ignoreNotFound(kube.delete(cmRef(spec.namespace, App.VmName))).pipe(Effect.mapError(failed("cannot delete the input ConfigMap")))
    }
    const ns = yield* kube.get(nsRef(spec.namespace)).pipe(Effect.mapError(failed("cannot read the namespace")))
    if (Option.isSome(ns) && controlledBy(ns.value, app) && ns.value.metadata.deletionTimestamp === undefined) {
      yield* ignoreNotFound(kube.delete(nsRef(spec.namespace))).pipe(Effect.mapError(failed("cannot delete the namespace")))
    }
    yield* ignoreNotFound(kube.patch(App.SingletonRef, {
      metadata: { finalizers: (app.metadata.finalizers ?? []).filter((f) => f !== App.CleanupFinalizer) }
    }, "merge")).pipe(Effect.mapError(failed("cannot remove the cleanup finalizer")))
    yield* Effect.logInfo("App deleted: its LimaVM and what it made are gone")
  })
