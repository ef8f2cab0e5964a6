/**
 * The programs behind `rdd limavm` (SPEC 4.5): autostart the control plane, then
 * create/start/stop/restart/delete a LimaVM and wait for the state it asked for
 * under the command's one deadline — start for Running=True, stop for
 * Running=False/Stopped, restart for restartCount to grow, delete for the
 * object to be gone — each guarded by observedGeneration so a stale status
 * never satisfies it, failing at once on CreateFailed/StartFailed. Messages
 * follow the Go tool's, printed when the state is reached (not before: reference
 * defect 154). Rejections keep their API error (exit 3).
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import type * as Deadline from "../domain/Deadline.js"
import { Failure, NotFound } from "../domain/Errors.js"
import { Core } from "../domain/KubeObject.js"
import * as LimaVm from "../domain/LimaVm.js"
import { timestamp } from "../domain/limavm/Conditions.js"
import * as TemplateChange from "../domain/limavm/TemplateChange.js"
import { ensureRunning } from "./Autostart.js"
import { KubeClient } from "./KubeClient.js"
import * as LimaVmWait from "./LimaVmWait.js"
import { finished, result } from "./Outcome.js"

const q = (s: string) => JSON.stringify(s)

/** Finds a LimaVM by name in any namespace (names are unique across namespaces). */
export const find = (name: string) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const list = yield* kube.list(LimaVm.LimaVmType, { fieldSelector: `metadata.name=${name}` })
    return Option.map(Option.fromNullable(list.items[0]), LimaVm.fromObject)
  })

const mustFind = (name: string) =>
  Effect.flatMap(find(name), Option.match({
    onNone: () => Effect.fail(new NotFound({ message: `LimaVM ${q(name)} not found in any namespace` })),
    onSome: Effect.succeed
  }))

const targetOf = (vm: LimaVm.LimaVm): LimaVmWait.Target => ({ namespace: vm.namespace, name: vm.name, uid: vm.uid })

/** start's goal: Running=True for the written generation; CreateFailed/StartFailed end the wait at once. */
export const judgeRunning = (generation: number) => (cur: LimaVm.LimaVm): LimaVmWait.Verdict<LimaVm.LimaVm> => {
  if (!LimaVmWait.observed(cur, generation)) return LimaVmWait.keepWaiting
  const failed = LimaVmWait.failure(cur)
  if (failed !== undefined) return LimaVmWait.fail(failed)
  return LimaVm.condition(cur, LimaVm.ConditionTypes.Running)?.status === "True" ? LimaVmWait.done(cur) : LimaVmWait.keepWaiting
}

/** stop's goal: Running=False/Stopped for the written generation (a VM never created counts as stopped). */
export const judgeStopped = (generation: number) => (cur: LimaVm.LimaVm): LimaVmWait.Verdict<LimaVm.LimaVm> => {
  if (!LimaVmWait.observed(cur, generation)) return LimaVmWait.keepWaiting
  const running = LimaVm.condition(cur, LimaVm.ConditionTypes.Running)
  const created = LimaVm.condition(cur, LimaVm.ConditionTypes.Created)
  if (running === undefined && created?.status === "False") return LimaVmWait.done(cur)
  return running?.status === "False" && running.reason === LimaVm.Reasons.Stopped ? LimaVmWait.done(cur) : LimaVmWait.keepWaiting
}

export const awaitRunning = (vm: LimaVm.LimaVm, generation: number, deadline: Deadline.Deadline) =>
  LimaVmWait.until(targetOf(vm), `LimaVM ${q(vm.name)} to be running`, deadline, judgeRunning(generation), {
    leftBehind: `the VM keeps starting in the background`
  })

export const awaitStopped = (vm: LimaVm.LimaVm, generation: number, deadline: Deadline.Deadline) =>
  LimaVmWait.until(targetOf(vm), `LimaVM ${q(vm.name)} to be stopped`, deadline, judgeStopped(generation), {
    leftBehind: `the VM keeps stopping in the background`
  })

export interface VerbOptions {
  readonly name: string
  readonly wait: boolean
  readonly deadline: Deadline.Deadline
}

const setRunning = (vm: LimaVm.LimaVm, running: boolean, annotations?: Record<string, string>) =>
  Effect.flatMap(KubeClient, (kube) =>
    kube.patch(LimaVm.refOf(vm.namespace, vm.name), {
      spec: { running },
      ...(annotations === undefined ? {} : { metadata: { annotations } })
    }, "merge")).pipe(Effect.map(LimaVm.fromObject))

export const start = (o: VerbOptions) =>
  Effect.gen(function*() {
    yield* ensureRunning(o.deadline)
    const vm = yield* setRunning(yield* mustFind(o.name), true)
    if (!o.wait) {
      return yield* finished("starting", `LimaVM ${q(o.name)} is starting in namespace ${q(vm.namespace)}`)
    }
    yield* awaitRunning(vm, vm.generation, o.deadline)
    return yield* finished("ready", `LimaVM ${q(o.name)} started in namespace ${q(vm.namespace)}`)
  })

export const stop = (o: VerbOptions) =>
  Effect.gen(function*() {
    yield* ensureRunning(o.deadline)
    const vm = yield* setRunning(yield* mustFind(o.name), false)
    if (!o.wait) {
      return yield* finished("stopping", `LimaVM ${q(o.name)} is stopping in namespace ${q(vm.namespace)}`)
    }
    yield* awaitStopped(vm, vm.generation, o.deadline)
    return yield* finished("stopped", `LimaVM ${q(o.name)} stopped in namespace ${q(vm.namespace)}`)
  })

export const restart = (o: VerbOptions) =>
  Effect.gen(function*() {
    yield* ensureRunning(o.deadline)
    const before = yield* mustFind(o.name)
    const now = timestamp(yield* Clock.currentTimeMillis)
    const vm = yield* setRunning(before, true, { [LimaVm.RestartRequestedAnnotation]: now })
    yield* Effect.logInfo(`LimaVM ${q(o.name)} restart requested in namespace ${q(vm.namespace)}`)
    if (!o.wait) return result("restarting", `LimaVM ${q(o.name)} restart requested in namespace ${q(vm.namespace)}`)
    yield* LimaVmWait.until(targetOf(vm), `LimaVM ${q(o.name)} to restart`, o.deadline, (cur) => {
      if (cur.status.restartCount > before.status.restartCount) return LimaVmWait.done(cur)
      // the request was taken (annotation gone, flag cleared) and the start then failed
      const taken = cur.annotations[LimaVm.RestartRequestedAnnotation] === undefined && !cur.status.restartNeeded
      const failed = LimaVmWait.failure(cur)
      return taken && failed !== undefined && LimaVmWait.observed(cur, vm.generation) ? LimaVmWait.fail(failed) : LimaVmWait.keepWaiting
    }, { leftBehind: "the VM keeps restarting in the background" })
    return yield* finished("ready", `LimaVM ${q(o.name)} restarted in namespace ${q(vm.namespace)}`)
  })

/**
 * Deleting a VM that exists nowhere fails "not found" (exit 1), as kubectl,
 * limactl, docker and podman do: a typo must not pass as done. Scripts that want
 * the idempotent form ask for it with `ignoreNotFound` (`--ignore-not-found`).
 */
export const remove = (o: VerbOptions & { readonly ignoreNotFound: boolean }) =>
  Effect.gen(function*() {
    yield* ensureRunning(o.deadline)
    const kube = yield* KubeClient
    const found = yield* find(o.name)
    if (Option.isNone(found)) {
      if (!o.ignoreNotFound) return yield* new NotFound({ message: `LimaVM ${q(o.name)} not found in any namespace` })
      return yield* finished("noop", `LimaVM ${q(o.name)} not found in any namespace; nothing to delete`)
    }
    const vm = found.value
    yield* kube.delete(LimaVm.refOf(vm.namespace, vm.name)).pipe(Effect.catchTag("NotFound", () => Effect.void))
    if (!o.wait) {
      return yield* finished("deleting", `LimaVM ${q(o.name)} is being deleted from namespace ${q(vm.namespace)}`)
    }
    yield* LimaVmWait.until(targetOf(vm), `LimaVM ${q(o.name)} to be deleted`, o.deadline, () => LimaVmWait.keepWaiting, {
      onDeleted: () => LimaVmWait.done(undefined),
      leftBehind: "the deletion continues in the background"
    })
    return yield* finished("deleted", `LimaVM ${q(o.name)} deleted from namespace ${q(vm.namespace)}`)
  })

export interface CreateOptions {
  readonly namespace: string
  readonly name: string
  /** a ConfigMap name, or a local file when it contains `/` or `:` (SPEC 4.2) */
  readonly template: string
  readonly start: boolean
  readonly wait: boolean
  /** server-side dry run of the LimaVM create: nothing is left behind (see `create`) */
  readonly dryRun: boolean
  readonly deadline: Deadline.Deadline
}

export const isFileTemplate = (template: string): boolean => template.includes("/") || template.includes(":")

const readTemplateFile = (file: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) =>
    fs.readFileString(file).pipe(
      Effect.mapError((e) => new Failure({ message: `failed to read template file ${q(file)}: ${e.message}` }))
    ))

/**
 * The ConfigMap `NAME` holding a file's template, for the length of `use`: the
 * LimaVM's admission reads its source, so it must exist while the LimaVM is
 * created, also for a dry run (as in the Go tool). It stays only when `use`
 * succeeds and reports the ConfigMap `kept` (owned by the new LimaVM); a
 * rejection, any failure, Ctrl-C or a dry run removes it again.
 */
const withFileConfigMap = <A, E, R>(
  o: CreateOptions,
  text: string,
  use: (configMap: string) => Effect.Effect<{ readonly value: A; readonly kept: boolean }, E, R>
) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const ref = { type: Core.configmaps, namespace: o.namespace, name: o.name }
    if (Option.isSome(yield* kube.get(ref))) {
      return yield* new Failure({
        message: `ConfigMap ${q(o.name)} already exists in namespace ${q(o.namespace)}, will not modify existing ConfigMap`
      })
    }
    const made = `ConfigMap ${q(o.name)} created in namespace ${q(o.namespace)} with template from file ${q(o.template)}`
    const remove = (quietly: boolean) =>
      (quietly ? Effect.logDebug(`removing ConfigMap ${q(o.name)} (dry run)`) : Effect.logWarning(`Cleaning up created ConfigMap ${q(o.name)}`)).pipe(
        Effect.zipRight(kube.delete(ref)),
        Effect.catchAll((e) => Effect.logWarning(`could not remove ConfigMap ${q(o.name)} in namespace ${q(o.namespace)}: ${e.message}`))
      )
    return yield* Effect.acquireUseRelease(
      kube.create(Core.configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: o.name, namespace: o.namespace }, data: { template: text } }).pipe(
        Effect.tap(() => (o.dryRun ? Effect.logDebug(`${made} (for the dry run only)`) : Effect.logInfo(made)))
      ),
      () => use(o.name),
      (_, exit) => (Exit.isSuccess(exit) && exit.value.kept ? Effect.void : remove(o.dryRun))
    ).pipe(Effect.map((r) => r.value))
  })

/** Makes the LimaVM the controller owner of the file's ConfigMap; false if that failed (the ConfigMap is then removed). */
const transferOwnership = (vm: LimaVm.LimaVm, configMap: string) =>
  Effect.flatMap(KubeClient, (kube) =>
    kube.patch({ type: Core.configmaps, namespace: vm.namespace, name: configMap }, {
      metadata: {
        ownerReferences: [{ apiVersion: LimaVm.ApiVersion, kind: LimaVm.Kind, name: vm.name, uid: vm.uid, controller: true, blockOwnerDeletion: true }]
      }
    }, "merge")).pipe(
      Effect.as(true),
      // as the Go tool: the VM has its own copy, so the unowned source is removed rather than left to leak
      Effect.catchAll((e) => Effect.as(Effect.logWarning(`could not make LimaVM ${q(vm.name)} the owner of ConfigMap ${q(configMap)}: ${e.message}`), false))
    )

/**
 * `limavm create`. With `dryRun` the LimaVM create is a server-side dry run:
 * admission (name claim, source template, its validation, the free copy name)
 * answers as for a real create, and nothing stays: no LimaVM, no copy, no
 * claim, no namespace; a file's ConfigMap exists only while the LimaVM is checked.
 */
export const create = (o: CreateOptions) =>
  Effect.gen(function*() {
    yield* ensureRunning(o.deadline)
    const kube = yield* KubeClient
    const existing = yield* find(o.name)
    if (Option.isSome(existing) && existing.value.namespace === o.namespace) {
      const templateRef = existing.value.spec.templateRef.name
      const requested: TemplateChange.Requested = isFileTemplate(o.template)
        ? { _tag: "File", path: o.template, configMap: o.name, text: yield* readTemplateFile(o.template) }
        : { _tag: "ConfigMap", name: o.template }
      const cm = yield* kube.get({ type: Core.configmaps, namespace: o.namespace, name: templateRef })
      const text = Option.flatMap(cm, (c) => Option.fromNullable((c as { data?: Record<string, string> }).data?.["template"]))
      const diff = TemplateChange.difference({ templateRef, text: Option.getOrUndefined(text) }, requested)
      if (diff !== undefined) {
        // a templateRef is immutable: a silent "already exists" would let the user believe it was applied
        return yield* new Failure({
          message: `LimaVM ${q(o.name)} already exists in namespace ${q(o.namespace)} with ${diff}; ` +
            `delete it first ("rdd limavm delete ${o.name}") to create it with this template`
        })
      }
      yield* Effect.logInfo(`LimaVM ${q(o.name)} already exists in namespace ${q(o.namespace)}`)
      if (!o.start || o.dryRun) return result("noop", `LimaVM ${q(o.name)} already exists in namespace ${q(o.namespace)}`)
      return yield* start({ name: o.name, wait: o.wait, deadline: o.deadline })
    }
    // like `kubectl create namespace` would have: the namespace may not exist yet (even "default")
    const nsRef = { type: Core.namespaces, name: o.namespace }
    if (Option.isNone(yield* kube.get(nsRef))) {
      if (o.dryRun) {
        // nothing can be checked inside a namespace a dry run must not create
        return yield* new Failure({
          message: `namespace ${q(o.namespace)} does not exist, so a dry run cannot check a LimaVM in it ` +
            `(without --dry-run, limavm create creates the namespace first)`
        })
      }
      yield* kube.create(Core.namespaces, { apiVersion: "v1", kind: "Namespace", metadata: { name: o.namespace } }).pipe(
        Effect.catchTag("AlreadyExists", () => Effect.void)
      )
      yield* Effect.logDebug(`namespace ${q(o.namespace)} created`)
    }
    const createVm = (templateName: string) =>
      kube.create(LimaVm.LimaVmType, LimaVm.make(o.namespace, o.name, { name: templateName }, o.start), { dryRun: o.dryRun }).pipe(
        Effect.map(LimaVm.fromObject)
      )
    const created = isFileTemplate(o.template)
      ? yield* withFileConfigMap(o, yield* readTemplateFile(o.template), (configMap) =>
        Effect.flatMap(createVm(configMap), (vm) =>
          o.dryRun ? Effect.succeed({ value: vm, kept: false }) : Effect.map(transferOwnership(vm, configMap), (kept) => ({ value: vm, kept }))))
      : yield* createVm(o.template)
    const templateName = isFileTemplate(o.template) ? o.name : o.template
    if (o.dryRun) {
      return yield* finished("noop", `LimaVM ${q(o.name)} validated in namespace ${q(o.namespace)} with template ConfigMap ${q(templateName)} (dry run: nothing was created)`)
    }
    yield* Effect.logInfo(`LimaVM ${q(o.name)} created in namespace ${q(o.namespace)} with template ConfigMap ${q(templateName)}`)
    if (!o.start || !o.wait) {
      return result("created", `LimaVM ${q(o.name)} created in namespace ${q(o.namespace)}`)
    }
    yield* awaitRunning(created, created.generation, o.deadline)
    return yield* finished("ready", `LimaVM ${q(o.name)} started in namespace ${q(o.namespace)}`)
  })
