/**
 * VM names are unique across the namespaces of an instance (SPEC 4.1) because a
 * name is a directory under `<lima_home>`. A read-then-create check races (two
 * creates in different namespaces can both pass: reference defect 149), so the
 * validating admission takes an atomic claim first: a ConfigMap
 * `rdd-system/limavm-name-<vm>` recording the namespace, created with the
 * store's own "already exists" check. A claim whose LimaVM does not exist is
 * stale (its create failed after admission): it is taken over with an
 * optimistic-concurrency update, except for a short window in which the create
 * may still be in flight. The controller releases the claim on deletion.
 */
import * as Clock from "effect/Clock"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import { Core, type KubeObject } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import { nameInUse } from "../../../domain/limavm/Admission.js"
import type { KubeClientShape, KubeError } from "../../../services/KubeClient.js"

/** How long a claim without its LimaVM counts as a create still in flight. */
export const InFlightMillis = 10_000

export class NameTaken extends Data.TaggedError("NameTaken")<{ readonly message: string }> {}

const refOf = (vm: string) => ({ type: Core.configmaps, namespace: LimaVm.ClaimNamespace, name: LimaVm.claimName(vm) })

const claimObject = (vm: string, namespace: string, now: number, base?: KubeObject): KubeObject => ({
  apiVersion: "v1",
  kind: "ConfigMap",
  ...base,
  metadata: {
    ...base?.metadata,
    name: LimaVm.claimName(vm),
    namespace: LimaVm.ClaimNamespace,
    labels: { [LimaVm.ClaimLabel]: "true" }
  },
  data: { namespace, claimedAt: String(now) }
})

const dataOf = (cm: KubeObject): { readonly namespace: string; readonly claimedAt: number } => {
  const d = (cm["data"] ?? {}) as Record<string, string>
  return { namespace: d["namespace"] ?? "", claimedAt: Number(d["claimedAt"] ?? "0") }
}

/**
 * Claims `vm` for `namespace`. With `dryRun` it only checks. Fails with NameTaken
 * (the reference's message) when another namespace holds the name.
 */
export const claim = (
  kube: KubeClientShape,
  vm: string,
  namespace: string,
  dryRun: boolean,
  /** the claiming LimaVM when it already exists (the controller re-asserting its claim) */
  selfUid?: string
): Effect.Effect<void, NameTaken | KubeError> =>
  Effect.gen(function*() {
    const now = yield* Clock.currentTimeMillis
    if (!dryRun) {
      const created = yield* Effect.either(kube.create(Core.configmaps, claimObject(vm, namespace, now)))
      if (created._tag === "Right") return
      if (created.left._tag !== "AlreadyExists") return yield* Effect.fail(created.left)
    }
    const existing = yield* kube.get(refOf(vm))
    if (Option.isNone(existing)) {
      if (dryRun) return
      // released between our create and get: try once more
      return yield* kube.create(Core.configmaps, claimObject(vm, namespace, now)).pipe(
        Effect.asVoid,
        Effect.catchTag("AlreadyExists", () => Effect.fail(new NameTaken({ message: nameInUse(vm, namespace) })))
      )
    }
    const held = dataOf(existing.value)
    const owner = yield* kube.get(LimaVm.refOf(held.namespace, vm))
    if (Option.isSome(owner) && (selfUid === undefined || owner.value.metadata.uid !== selfUid)) {
      return yield* new NameTaken({ message: nameInUse(vm, held.namespace) })
    }
    if (Option.isSome(owner)) return
    // same namespace: the store's own AlreadyExists decides between concurrent creates
    if (held.namespace === namespace) return
    if (now - held.claimedAt < InFlightMillis) {
      return yield* new NameTaken({ message: nameInUse(vm, held.namespace) })
    }
    if (dryRun) return
    // stale: take it over; a concurrent taker makes this a Conflict, which loses
    yield* kube.update(refOf(vm), claimObject(vm, namespace, now, existing.value)).pipe(
      Effect.asVoid,
      Effect.catchTag("Conflict", () => Effect.fail(new NameTaken({ message: nameInUse(vm, held.namespace) })))
    )
  })

/** Releases the claim if `namespace` holds it. */
export const release = (kube: KubeClientShape, vm: string, namespace: string): Effect.Effect<void, KubeError> =>
  Effect.gen(function*() {
    const existing = yield* kube.get(refOf(vm))
    if (Option.isNone(existing) || dataOf(existing.value).namespace !== namespace) return
    yield* kube.delete(refOf(vm)).pipe(Effect.catchTag("NotFound", () => Effect.void))
  })
