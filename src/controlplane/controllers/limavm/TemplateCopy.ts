/**
 * The validated template copy `<vm>-template` (SPEC 4.2). Admission only checks
 * (the source exists, its template is valid, the copy's name is free), so a
 * rejected or failed create leaves nothing behind (reference defect 150); the
 * reconciler then adopts-or-creates the copy, owned by the LimaVM (controller
 * reference), labelled for the ConfigMap validator, with the owned-by finalizer.
 */
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { Core, type KubeObject } from "../../../domain/KubeObject.js"
import * as LimaTemplate from "../../../domain/LimaTemplate.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import { configMapNotFound } from "../../../domain/limavm/Admission.js"
import type { KubeClientShape } from "../../../services/KubeClient.js"

export class CopyFailed extends Data.TaggedError("CopyFailed")<{ readonly message: string }> {}

export interface Copy {
  readonly object: KubeObject
  readonly text: string
  readonly template: LimaTemplate.LimaTemplate
  readonly resourceVersion: string
}

const dataOf = (cm: KubeObject): Readonly<Record<string, string>> | undefined => {
  const d = cm["data"]
  return typeof d === "object" && d !== null ? (d as Record<string, string>) : undefined
}

/** The template text of a ConfigMap, validated; the error is the admission text. */
export const templateOf = (
  cm: KubeObject,
  hostArch: LimaTemplate.Arch
): Either.Either<{ readonly text: string; readonly template: LimaTemplate.LimaTemplate }, string> =>
  Either.flatMap(
    Either.mapLeft(LimaTemplate.fromConfigMapData(dataOf(cm)), (e) => e.message),
    (text) =>
      Either.map(
        Either.mapLeft(LimaTemplate.parse(text, { hostArch }), (e) => e.message),
        (template) => ({ text, template })
      )
  )

const ownerRef = (vm: LimaVm.LimaVm) => ({
  apiVersion: LimaVm.ApiVersion,
  kind: LimaVm.Kind,
  name: vm.name,
  uid: vm.uid,
  controller: true,
  blockOwnerDeletion: true
})

export const isOwnedBy = (obj: KubeObject, uid: string): boolean =>
  (obj.metadata.ownerReferences ?? []).some((r) => r.uid === uid)

const toCopy = (object: KubeObject, hostArch: LimaTemplate.Arch): Effect.Effect<Copy, CopyFailed> =>
  Either.match(templateOf(object, hostArch), {
    onLeft: (message) => Effect.fail(new CopyFailed({ message })),
    onRight: ({ text, template }) =>
      Effect.succeed({ object, text, template, resourceVersion: object.metadata.resourceVersion ?? "" })
  })

/** Adopt-or-create: returns the copy this LimaVM runs from. */
export const ensure = (
  kube: KubeClientShape,
  vm: LimaVm.LimaVm,
  hostArch: LimaTemplate.Arch
): Effect.Effect<Copy, CopyFailed> =>
  Effect.gen(function*() {
    const name = LimaVm.templateCopyName(vm.name)
    const ref = { type: Core.configmaps, namespace: vm.namespace, name }
    const existing = yield* kube.get(ref)
    if (Option.isSome(existing)) {
      const cm = existing.value
      if (isOwnedBy(cm, vm.uid)) return yield* toCopy(cm, hostArch)
      if ((cm.metadata.ownerReferences ?? []).length > 0) {
        return yield* new CopyFailed({ message: `configmaps ${JSON.stringify(name)} already exists and is owned by another object` })
      }
      // a copy without owner (e.g. made by hand): adopt it, it is validated like any copy
      const adopted = yield* kube.patch(ref, {
        metadata: {
          ownerReferences: [ownerRef(vm)],
          labels: { [LimaVm.TemplateCopyLabel]: "true" },
          finalizers: [...new Set([...(cm.metadata.finalizers ?? []), LimaVm.OwnedByFinalizer])]
        }
      }, "merge")
      return yield* toCopy(adopted, hostArch)
    }
    const sourceNamespace = LimaVm.templateNamespace(vm)
    const source = yield* kube.get({ type: Core.configmaps, namespace: sourceNamespace, name: vm.spec.templateRef.name })
    if (Option.isNone(source)) return yield* new CopyFailed({ message: configMapNotFound(vm.spec.templateRef.name) })
    const { text } = yield* Either.match(templateOf(source.value, hostArch), {
      onLeft: (message) => Effect.fail(new CopyFailed({ message })),
      onRight: Effect.succeed
    })
    const created = yield* kube.create(Core.configmaps, {
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: {
        name,
        namespace: vm.namespace,
        labels: { [LimaVm.TemplateCopyLabel]: "true" },
        finalizers: [LimaVm.OwnedByFinalizer],
        ownerReferences: [ownerRef(vm)]
      },
      data: { [LimaTemplate.TemplateKey]: text }
    })
    return yield* toCopy(created, hostArch)
  }).pipe(
    Effect.catchTags({
      NotFound: (e) => Effect.fail(new CopyFailed({ message: e.message })),
      Conflict: (e) => Effect.fail(new CopyFailed({ message: e.message })),
      AlreadyExists: (e) => Effect.fail(new CopyFailed({ message: e.message })),
      Rejected: (e) => Effect.fail(new CopyFailed({ message: e.message })),
      Unavailable: (e) => Effect.fail(new CopyFailed({ message: e.message }))
    })
  )
