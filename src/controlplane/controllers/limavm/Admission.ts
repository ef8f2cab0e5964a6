/**
 * LimaVM admission (SPEC 4.1/4.2, reference 2.3), as in-process plugins:
 * - defaulter (LimaVM CREATE): adds the cleanup finalizer; checks the VM name,
 *   that the source template exists and is valid, and that `<vm>-template` is
 *   free. It writes nothing: the reconciler makes the copy, so a create that
 *   fails later leaves no orphan (reference defect 150).
 * - validator (LimaVM CREATE/UPDATE/DELETE): the atomic cross-namespace name
 *   claim (NameClaim), templateRef immutability, no delete while an owner's
 *   owned-by finalizer is present.
 * - ConfigMap validator (labelled template copies): template validated when
 *   `data.template` changes (not on metadata-only updates: reference defect
 *   152), no label removal and no delete while owned.
 * Every denial makes the writing command exit 3.
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import { Core, type KubeObject } from "../../../domain/KubeObject.js"
import type * as LimaTemplate from "../../../domain/LimaTemplate.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import * as Messages from "../../../domain/limavm/Admission.js"
import { validateVmName } from "../../../domain/limavm/Names.js"
import type { KubeClientShape } from "../../../services/KubeClient.js"
import { type AdmissionPlugin, type AdmissionRequest, Denied } from "../../apiserver/Admission.js"
import * as Eager from "../../Eager.js"
import * as NameClaim from "./NameClaim.js"
import { templateOf } from "./TemplateCopy.js"

export interface AdmissionDeps {
  readonly kube: KubeClientShape
  readonly hostArch: LimaTemplate.Arch
  /** `<lima_home>`, for the socket-path length check */
  readonly limaHome?: string
}

const deny = (reason: string, code: 400 | 403 | 422 = 403) => Effect.fail(new Denied({ reason, code }))
const unavailable = (e: { readonly message: string }) => new Denied({ reason: e.message, code: 403 })

const ownedBy = (obj: KubeObject | undefined): Option.Option<string> =>
  Option.map(
    Option.fromNullable((obj?.metadata.finalizers ?? []).find((f) => f.startsWith(LimaVm.OwnedByPrefix))),
    (f) => f.slice(LimaVm.OwnedByPrefix.length)
  )

const dataTemplate = (obj: KubeObject | undefined): unknown =>
  (obj?.["data"] as Record<string, unknown> | undefined)?.["template"]

export const defaulter = (deps: AdmissionDeps): AdmissionPlugin => ({
  name: Messages.DefaulterName,
  group: LimaVm.Group,
  resource: LimaVm.Plural,
  operations: ["CREATE"],
  // creates the template copy, except on dry runs
  sideEffects: "NoneOnDryRun",
  mutate: (req: AdmissionRequest) =>
    Effect.gen(function*() {
      const object = req.object!
      const vm = LimaVm.fromObject(object)
      const problems = validateVmName(vm.name, deps.limaHome)
      if (problems.length > 0) return yield* deny(Messages.invalidName(vm.name, problems), 422)
      if (vm.spec.templateRef.name === "") return yield* deny(Messages.templateRefRequired, 422)
      const source = yield* deps.kube.get({
        type: Core.configmaps,
        namespace: LimaVm.templateNamespace(vm),
        name: vm.spec.templateRef.name
      }).pipe(Effect.mapError(unavailable))
      if (Option.isNone(source)) return yield* deny(Messages.configMapNotFound(vm.spec.templateRef.name))
      const checked = templateOf(source.value, deps.hostArch)
      if (Either.isLeft(checked)) return yield* deny(checked.left)
      const copyName = LimaVm.templateCopyName(vm.name)
      const copy = yield* deps.kube.get({ type: Core.configmaps, namespace: vm.namespace, name: copyName }).pipe(
        Effect.mapError(unavailable)
      )
      if (Option.isSome(copy)) return yield* deny(Messages.configMapExists(copyName))
      const finalizers = object.metadata.finalizers ?? []
      return finalizers.includes(LimaVm.CleanupFinalizer)
        ? object
        : { ...object, metadata: { ...object.metadata, finalizers: [...finalizers, LimaVm.CleanupFinalizer] } }
    })
})

export const validator = (deps: AdmissionDeps): AdmissionPlugin => ({
  name: Messages.ValidatorName,
  group: LimaVm.Group,
  resource: LimaVm.Plural,
  operations: ["CREATE", "UPDATE", "DELETE"],
  // claims the VM name, except on dry runs
  sideEffects: "NoneOnDryRun",
  validate: (req: AdmissionRequest) =>
    Effect.gen(function*() {
      if (req.operation === "CREATE") {
        const vm = LimaVm.fromObject(req.object!)
        yield* NameClaim.claim(deps.kube, vm.name, vm.namespace, req.dryRun).pipe(
          Effect.mapError((e) => (e._tag === "NameTaken" ? new Denied({ reason: e.message, code: 403 }) : unavailable(e)))
        )
        return
      }
      if (req.operation === "UPDATE") {
        const before = LimaVm.fromObject(req.oldObject!)
        const after = LimaVm.fromObject(req.object!)
        if (JSON.stringify(before.spec.templateRef) !== JSON.stringify(after.spec.templateRef)) {
          return yield* deny(Messages.templateRefImmutable, 422)
        }
        return
      }
      const owner = ownedBy(req.oldObject)
      if (Option.isSome(owner)) return yield* deny(Messages.ownedDeletion(req.name, owner.value))
    })
})

export const configMapValidator = (deps: AdmissionDeps): AdmissionPlugin => ({
  name: Messages.ConfigMapValidatorName,
  group: "",
  resource: "configmaps",
  operations: ["CREATE", "UPDATE", "DELETE"],
  // every ConfigMap write passes here: eager, so the usual answer (not a template copy) costs no fiber
  validate: (req: AdmissionRequest) =>
    Eager.gen(function*() {
      const labelled = (o: KubeObject | undefined) => o?.metadata.labels?.[LimaVm.TemplateCopyLabel] === "true"
      if (req.operation === "DELETE") {
        if (!labelled(req.oldObject)) return
        const owner = ownedBy(req.oldObject)
        if (Option.isSome(owner)) return yield* deny(Messages.ownedDeletion(req.name, owner.value))
        return
      }
      if (req.operation === "UPDATE" && labelled(req.oldObject) && !labelled(req.object) && Option.isSome(ownedBy(req.oldObject))) {
        return yield* deny(Messages.labelRemoval)
      }
      if (!labelled(req.object)) return
      if (req.operation === "UPDATE" && JSON.stringify(dataTemplate(req.object)) === JSON.stringify(dataTemplate(req.oldObject))) return
      const checked = templateOf(req.object!, deps.hostArch)
      if (Either.isLeft(checked)) return yield* deny(checked.left)
    })
})

export const plugins = (deps: AdmissionDeps): ReadonlyArray<AdmissionPlugin> => [
  defaulter(deps),
  validator(deps),
  configMapValidator(deps)
]
