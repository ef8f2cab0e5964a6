/**
 * One pass of the kubernetes controller. While the App wants Kubernetes and its
 * VM runs the current template (with the k3s provision script), it reads the
 * guest's install verdict and k3s's kubeconfig over SSH, makes the instance's
 * entries from it (server = 127.0.0.1:status.kubernetesPort, where the guest's
 * 6443 is forwarded), probes the API with them, and once it answers keeps the
 * context `rancher-desktop-<suffix>` in the user's kubeconfig (KubeconfigMerge:
 * nothing else in it changes; current-context only when the user's does not
 * work), the standalone `~/.rd<suffix>/kube.config` and the mirror `<dir>/k3s.yaml`.
 * Otherwise (disabled, VM not running, App gone) it takes all three away again.
 * `KubernetesReady` (KubernetesReady.decide) is written only when it changed,
 * stamped with the App generation. The pass returns how soon to look again.
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as App from "../../../domain/App.js"
import * as AppStatus from "../../../domain/app/AppStatus.js"
import * as K3s from "../../../domain/app/K3s.js"
import * as KubernetesReady from "../../../domain/app/KubernetesReady.js"
import * as Merge from "../../../domain/KubeconfigMerge.js"
import { Core, type Condition, type KubeObject } from "../../../domain/KubeObject.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import { timestamp } from "../../../domain/limavm/Conditions.js"
import type { KubeClientShape } from "../../../services/KubeClient.js"
import { isConsoleGuest } from "../engine/Reconciler.js"
import type { KubeconfigFile } from "./Files.js"
import * as Files from "./Files.js"
import type { ApiProbe, GuestReader, ServerAnswers } from "./Guest.js"

export interface Deps {
  readonly kube: KubeClientShape
  readonly guest: GuestReader
  readonly api: ApiProbe
  readonly serverAnswers: ServerAnswers
  /** `rancher-desktop-<suffix>` */
  readonly contextName: string
  /** the user's kubeconfig (~/.kube/config) */
  readonly userConfig: KubeconfigFile
  /** `~/.rd<suffix>/kube.config` */
  readonly standalone: KubeconfigFile
  /** `<dir>/k3s.yaml` (`svc paths k3s_config`) */
  readonly mirror: KubeconfigFile
  readonly limaHome: string
  readonly failAfter: Duration.Duration
}

export interface Memory {
  readonly run: string
  readonly expectedSince: number
}

export const PollStarting = Duration.seconds(2)
export const PollReady = Duration.seconds(10)

const templateText = (cm: KubeObject | undefined): string => {
  const data = cm?.["data"]
  const t = typeof data === "object" && data !== null ? (data as Record<string, unknown>)["template"] : undefined
  return typeof t === "string" ? t : ""
}

/** Takes the instance's context out of every file that has it. */
export const cleanup = (deps: Deps): Effect.Effect<void, string> =>
  Effect.gen(function*() {
    const user = yield* deps.userConfig.read
    if (user !== undefined && Merge.has(user, deps.contextName)) {
      yield* deps.userConfig.write(Merge.remove(user, deps.contextName))
      yield* Effect.logInfo(`removed context ${deps.contextName} from ${deps.userConfig.path}`)
    }
    yield* deps.standalone.remove
    yield* deps.mirror.remove
  })

/** Our entries into the user's kubeconfig; the message of a MergeFailed, or undefined. */
const mergeInto = (deps: Deps, entries: Merge.Entries): Effect.Effect<string | undefined> =>
  Effect.gen(function*() {
    const user = yield* deps.userConfig.read
    const unchanged = user !== undefined && Merge.has(user, deps.contextName) &&
      JSON.stringify(Merge.merge(user, entries, false)) === JSON.stringify({ apiVersion: "v1", kind: "Config", ...user })
    if (!unchanged) {
      // the user's current context is asked only when it would decide something
      const current = Merge.currentContext(user)
      const needsProbe = current !== "" && current !== deps.contextName && Merge.contextNames(user).includes(current)
      const server = needsProbe ? Merge.serverOf(user, current) : undefined
      const works = needsProbe ? server !== undefined && (yield* deps.serverAnswers(server)) : true
      const setCurrent = Merge.shouldSetCurrent(user, deps.contextName, works)
      yield* deps.userConfig.write(Merge.merge(user, entries, setCurrent))
      yield* Effect.logInfo(
        `merged context ${deps.contextName} into ${deps.userConfig.path}${setCurrent ? " (now the current context)" : ""}`
      )
    }
    yield* deps.standalone.write(Merge.standalone(entries))
    return undefined
  }).pipe(Effect.catchAll((e) => Effect.succeed(`cannot merge the kubeconfig: ${e}`)))

const conditionChanged = (before: Condition | undefined, next: Condition): boolean =>
  before === undefined || before.status !== next.status || before.reason !== next.reason || before.message !== next.message ||
  (before.observedGeneration ?? 0) !== (next.observedGeneration ?? 0)

export const pass = (deps: Deps, memory: Ref.Ref<Option.Option<Memory>>): Effect.Effect<Duration.Duration | undefined, string> =>
  Effect.gen(function*() {
    const { kube } = deps
    const found = yield* kube.get(App.SingletonRef).pipe(Effect.mapError((e) => `cannot read the App: ${e.message}`))
    if (Option.isNone(found) || found.value.metadata.deletionTimestamp !== undefined) {
      yield* Ref.set(memory, Option.none())
      yield* cleanup(deps)
      return undefined
    }
    const app = found.value
    const spec = App.specOf(app)
    const generation = App.generationOf(app)
    const vmObject = yield* kube.get(LimaVm.refOf(spec.namespace, App.VmName)).pipe(Effect.orElseSucceed(() => Option.none()))
    const vm = Option.getOrUndefined(Option.map(vmObject, LimaVm.fromObject))
    const copy = Option.getOrUndefined(
      yield* kube.get({ type: Core.configmaps, namespace: spec.namespace, name: App.TemplateCopyName }).pipe(
        Effect.orElseSucceed(() => Option.none())
      )
    )
    const running = vm === undefined ? undefined : LimaVm.condition(vm, LimaVm.ConditionTypes.Running)
    const vmState: KubernetesReady.VmState = isConsoleGuest(copy)
      ? { _tag: "ConsoleGuest" }
      : spec.running && running?.status === "True" && AppStatus.templateUpToDate(vm, copy) && AppStatus.vmCurrent(vm) &&
          templateText(copy).includes(K3s.ProvisionMarker)
      ? { _tag: "Running" }
      : { _tag: "NotRunning" }
    const now = yield* Clock.currentTimeMillis
    let guest: KubernetesReady.GuestView | undefined
    let guestError: string | undefined
    let probe: KubernetesReady.Probe | undefined
    let mergeError: string | undefined
    let expectedSince: number | undefined
    if (spec.kubernetesEnabled && vmState._tag === "Running") {
      const run = `${generation}/${running?.lastTransitionTime ?? ""}/${vm?.status.observedTemplateResourceVersion ?? ""}`
      const before = Option.getOrUndefined(yield* Ref.get(memory))
      expectedSince = before?.run === run ? before.expectedSince : now
      yield* Ref.set(memory, Option.some({ run, expectedSince }))
      const read = yield* Effect.either(deps.guest(deps.limaHome, App.VmName))
      if (read._tag === "Left") guestError = read.left
      else guest = read.right
      // a failed install is reported as such, even if an earlier boot left a kubeconfig behind
      if (guest?.kubeconfig !== undefined && !(guest.status ?? "").startsWith("failed:")) {
        const parsed = Files.parse(guest.kubeconfig, `the guest's ${K3s.GuestKubeconfig}`)
        const entries = "error" in parsed && typeof parsed.error === "string"
          ? { error: parsed.error }
          : Merge.entriesFrom(parsed, deps.contextName, `https://127.0.0.1:${AppStatus.kubernetesPortOf(app)}`)
        if ("error" in entries) {
          // nothing to probe with: reported as the merge failing
          probe = { ok: true }
          mergeError = `cannot merge the kubeconfig: ${entries.error}`
        } else {
          probe = yield* deps.api(entries)
          if (probe.ok) {
            mergeError = yield* mergeInto(deps, entries)
            if (mergeError === undefined) {
              mergeError = yield* deps.mirror.write(Merge.standalone(entries)).pipe(
                Effect.as(undefined),
                Effect.catchAll((e) => Effect.succeed(e))
              )
            }
          }
        }
      }
    } else {
      yield* Ref.set(memory, Option.none())
      // "removed when Kubernetes is disabled or the VM is not running" (the Go tool's rule)
      yield* cleanup(deps)
    }
    const verdict = KubernetesReady.decide({
      enabled: spec.kubernetesEnabled,
      shouldRun: spec.running,
      version: K3s.releaseTag(spec.kubernetesVersion),
      vm: vmState,
      guest,
      ...(guestError === undefined ? {} : { guestError }),
      probe,
      ...(mergeError === undefined ? {} : { mergeError }),
      expectedSince,
      now,
      failAfter: deps.failAfter
    })
    const conditions = App.conditionsOf(app)
    const before = App.findCondition(conditions, App.ConditionType.KubernetesReady)
    const next: Condition = {
      type: App.ConditionType.KubernetesReady,
      ...verdict,
      lastTransitionTime: before !== undefined && before.status === verdict.status && before.lastTransitionTime !== undefined
        ? before.lastTransitionTime
        : timestamp(now),
      observedGeneration: generation
    }
    if (conditionChanged(before, next)) {
      yield* kube.patchStatus(App.SingletonRef, {
        status: { conditions: [...conditions.filter((c) => c.type !== App.ConditionType.KubernetesReady), next] }
      }, "merge").pipe(Effect.mapError((e) => `cannot write KubernetesReady: ${e.message}`))
      if (before?.status !== next.status || before.reason !== next.reason) {
        yield* Effect.logInfo(`App generation ${generation}: KubernetesReady=${next.status} (${next.reason}) ${next.message}`)
      }
    }
    if (!spec.kubernetesEnabled || vmState._tag !== "Running") return undefined
    return verdict.reason === KubernetesReady.Reason.Probing ? PollStarting : PollReady
  })
