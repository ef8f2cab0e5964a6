/**
 * One reconcile pass of one LimaVM (SPEC 4.4): template copy -> instance created
 * -> running state as `spec.running` asks -> restart on request -> deletion
 * through the finalizer. A pass never waits for a guest to boot: starting forks
 * a watcher that moves the in-memory phase and wakes the VM's worker; only a
 * stop blocks, and only this VM's worker. Failures end the pass with
 * `ReconcileFailed`, which the worker turns into capped exponential backoff.
 * On the first pass of a daemon run the VM is adopted (a VM that kept running
 * is not rebooted and its restartCount is left alone).
 */
import * as Data from "effect/Data"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import { Core } from "../../../domain/KubeObject.js"
import type * as LimaTemplate from "../../../domain/LimaTemplate.js"
import * as LimaVm from "../../../domain/LimaVm.js"
import type * as Conditions from "../../../domain/limavm/Conditions.js"
import type { KubeClientShape } from "../../../services/KubeClient.js"
import { isUp, type VmDriverShape, type VmState } from "../../../services/VmDriver.js"
import { Phase, stopWatcher, type VmRuntime } from "./Runtime.js"
import * as NameClaim from "./NameClaim.js"
import * as StatusWriter from "./StatusWriter.js"
import * as TemplateCopy from "./TemplateCopy.js"

export class ReconcileFailed extends Data.TaggedError("ReconcileFailed")<{ readonly message: string }> {}

export interface Deps {
  readonly kube: KubeClientShape
  readonly driver: VmDriverShape
  readonly hostArch: LimaTemplate.Arch
  /** passed to the driver's graceful stop (undefined: the driver's default) */
  readonly stopGrace?: Duration.Duration
}

const { Created, Running } = LimaVm.ConditionTypes
const R = LimaVm.Reasons
const M = LimaVm.Messages

const cond = (type: string, status: Conditions.Desired["status"], reason: string, message: string): Conditions.Desired => ({
  type,
  status,
  reason,
  message
})

const failed = (message: string) => new ReconcileFailed({ message })

const kubeFailed = <A, R>(e: Effect.Effect<A, { readonly message: string }, R>): Effect.Effect<A, ReconcileFailed, R> =>
  Effect.mapError(e, (err) => failed(err.message))

export const reconcile = (
  deps: Deps,
  rt: VmRuntime,
  scope: Scope.Scope,
  initial: LimaVm.LimaVm,
  /** receives every object this pass wrote, so the worker never reconciles an older one again */
  observe: (written: LimaVm.LimaVm) => Effect.Effect<void> = () => Effect.void
): Effect.Effect<void, ReconcileFailed> =>
  Effect.gen(function*() {
    const { driver, kube } = deps
    let vm = initial
    const write = (change: StatusWriter.StatusChange) =>
      kubeFailed(StatusWriter.write(kube, vm, change)).pipe(
        Effect.tap((next) => Effect.zipRight(Effect.sync(() => (vm = next)), observe(next)))
      )

    if (vm.deleting) return yield* deletion(deps, rt, vm)

    if (!(vm.object.metadata.finalizers ?? []).includes(LimaVm.CleanupFinalizer)) {
      // objects admitted while the controller was disabled miss the finalizer the defaulter adds
      const updated = yield* kubeFailed(kube.update(LimaVm.refOf(vm.namespace, vm.name), {
        ...vm.object,
        metadata: { ...vm.object.metadata, finalizers: [...(vm.object.metadata.finalizers ?? []), LimaVm.CleanupFinalizer] }
      }))
      vm = LimaVm.fromObject(updated)
      yield* observe(vm)
    }

    const created = LimaVm.condition(vm, Created)
    if (created === undefined) yield* write({ conditions: [cond(Created, "Unknown", R.Pending, M.pending)] })

    const copy = yield* TemplateCopy.ensure(kube, vm, deps.hostArch).pipe(
      Effect.catchTag("CopyFailed", (e) =>
        (LimaVm.condition(vm, Created)?.status === "True"
          ? Effect.void
          : write({ conditions: [cond(Created, "False", R.CreateFailed, e.message)] })).pipe(
            Effect.zipRight(Effect.fail(failed(e.message)))
          ))
    )
    const spec = { name: vm.name, templateText: copy.text, template: copy.template }

    if (LimaVm.condition(vm, Created)?.status !== "True") {
      // admission claimed the name; objects stored while this controller was off did not
      yield* NameClaim.claim(kube, vm.name, vm.namespace, false, vm.uid).pipe(
        Effect.catchAll((e) =>
          write({ conditions: [cond(Created, "False", R.CreateFailed, e.message)] }).pipe(
            Effect.zipRight(Effect.fail(failed(e.message)))
          ))
      )
      const before = yield* driver.status(vm.name)
      yield* createReporting(driver, spec, (text) =>
        write({ conditions: [cond(Created, "Unknown", R.Pending, text)], quiet: true }).pipe(Effect.ignore)).pipe(
        Effect.catchTag("CreateFailed", (e) =>
          write({ conditions: [cond(Created, "False", R.CreateFailed, e.message)] }).pipe(
            Effect.zipRight(Effect.fail(failed(e.message)))
          ))
      )
      yield* write({
        conditions: [cond(Created, "True", R.Created, before._tag === "Absent" ? M.created : M.exists)],
        templateConfigMap: LimaVm.templateCopyName(vm.name),
        observedTemplateResourceVersion: copy.resourceVersion
      })
    } else {
      if (vm.status.templateConfigMap === undefined) yield* write({ templateConfigMap: LimaVm.templateCopyName(vm.name) })
      if (vm.annotations[LimaVm.RestartRequestedAnnotation] !== undefined) {
        // status first: the request is never lost between the two writes
        yield* write({ restartNeeded: true })
        const updated = yield* kubeFailed(kube.patch(
          LimaVm.refOf(vm.namespace, vm.name),
          { metadata: { annotations: { [LimaVm.RestartRequestedAnnotation]: null } } },
          "merge"
        ))
        vm = LimaVm.fromObject(updated)
        yield* observe(vm)
      }
      if (copy.resourceVersion !== vm.status.observedTemplateResourceVersion) {
        const stored = yield* driver.storedTemplate(vm.name)
        const changed = stored !== copy.text
        // ask the driver, not the phase: after a daemon restart the phase is not known yet
        const up = changed && isUp(yield* driver.status(vm.name))
        if (changed) yield* kubeFailed(driver.create(spec))
        yield* write({ observedTemplateResourceVersion: copy.resourceVersion, ...(up ? { restartNeeded: true } : {}) })
      }
    }

    yield* runningState(deps, rt, scope, vm, write, spec)
    // a pass that changed nothing still records that status reflects this generation
    // (the CLI's waits are guarded by observedGeneration)
    yield* write({})
  })

/** How often a long create (an image download) shows its progress in the Created condition. */
const ProgressInterval = Duration.seconds(2)

/** driver.create, with its latest progress line written every ProgressInterval while it runs. */
const createReporting = (
  driver: VmDriverShape,
  spec: Parameters<VmDriverShape["create"]>[0],
  show: (text: string) => Effect.Effect<void>
) =>
  Effect.gen(function*() {
    let latest: string | undefined
    let shown: string | undefined
    const report = Effect.suspend(() => {
      if (latest === undefined || latest === shown) return Effect.void
      shown = latest
      return show(latest)
    })
    const reporter = yield* Effect.fork(Effect.forever(Effect.zipRight(Effect.sleep(ProgressInterval), report)))
    return yield* driver.create(spec, (text) => (latest = text)).pipe(Effect.ensuring(Fiber.interrupt(reporter)))
  })

type Write = (change: StatusWriter.StatusChange) => Effect.Effect<LimaVm.LimaVm, ReconcileFailed>

const runningState = (
  deps: Deps,
  rt: VmRuntime,
  scope: Scope.Scope,
  vm0: LimaVm.LimaVm,
  write: Write,
  spec: Parameters<VmDriverShape["create"]>[0]
): Effect.Effect<void, ReconcileFailed> =>
  Effect.gen(function*() {
    const { driver } = deps
    let vm = vm0
    const w = (c: StatusWriter.StatusChange) => Effect.tap(write(c), (next) => Effect.sync(() => (vm = next)))

    if ((yield* Ref.get(rt.phase))._tag === "Unknown") {
      const state = yield* driver.adopt(vm.name)
      if (state._tag === "Absent") {
        // the instance directory vanished under a created VM: make it again (reference defect 166)
        yield* kubeFailed(driver.create(spec))
      }
      yield* adoptPhase(deps, rt, scope, vm.name, state)
    }

    if (vm.status.restartNeeded) {
      const phase = yield* Ref.get(rt.phase)
      if (vm.spec.running && (phase._tag === "Running" || phase._tag === "Starting" || phase._tag === "Broken")) {
        yield* stopVm(deps, rt, vm.name, w)
        yield* w({ restartNeeded: false, conditions: [cond(Running, "False", R.Stopped, M.stoppedForRestart)] })
      } else {
        yield* w({ restartNeeded: false })
      }
    }

    const phase = yield* Ref.get(rt.phase)
    const runningCond = LimaVm.condition(vm, Running)
    if (vm.spec.running) {
      switch (phase._tag) {
        case "Unknown":
        case "Stopped": {
          yield* w({ conditions: [cond(Running, "False", R.Starting, M.starting)] })
          const started = yield* Effect.either(driver.start(vm.name))
          if (Either.isLeft(started)) {
            yield* w({ conditions: [cond(Running, "False", R.StartFailed, started.left.message)] })
            return yield* failed(started.left.message)
          }
          yield* Ref.set(rt.phase, Phase.Starting())
          yield* watch(deps, rt, scope, vm.name, "boot")
          return
        }
        case "Starting": {
          // what the guest still waits for (SSH, cloud-init, a probe's hint), for the CLI's progress line
          const state = yield* driver.status(vm.name)
          const detail = state._tag === "Starting" ? state.detail : undefined
          yield* w({
            conditions: [cond(Running, "False", R.Starting, detail === undefined ? M.starting : `${M.starting}: ${detail}`)],
            ...(state._tag === "Starting" && state.sshLocalPort !== undefined ? { sshLocalPort: state.sshLocalPort } : {})
          })
          return
        }
        case "Running": {
          const already = runningCond?.status === "True" && runningCond.reason === R.Started
          const state = yield* driver.status(vm.name)
          yield* w({
            conditions: [cond(Running, "True", R.Started, M.running)],
            ...(already ? {} : { restarts: 1 }),
            ...(state._tag === "Running" && state.sshLocalPort !== undefined ? { sshLocalPort: state.sshLocalPort } : {})
          })
          return
        }
        case "BootFailed":
          yield* Ref.set(rt.phase, Phase.Stopped())
          yield* w({ conditions: [cond(Running, "False", R.StartFailed, phase.message)] })
          return yield* failed(phase.message)
        case "Exited":
          yield* Ref.set(rt.phase, Phase.Stopped())
          yield* w({ conditions: [cond(Running, "False", R.Stopped, "the VM exited unexpectedly; restarting it")] })
          return yield* failed("the VM exited unexpectedly")
        case "Broken":
          // e.g. frozen: say so and check again later; never reboot a VM that may just be slow
          yield* Ref.set(rt.phase, Phase.Unknown())
          yield* w({ conditions: [cond(Running, "Unknown", R.Reconciling, phase.message)] })
          return yield* failed(phase.message)
      }
    }
    if (phase._tag === "Running" || phase._tag === "Starting" || phase._tag === "Broken") {
      yield* stopVm(deps, rt, vm.name, w)
      yield* w({ conditions: [cond(Running, "False", R.Stopped, M.stoppedOk)], sshLocalPort: 0 })
      return
    }
    yield* Ref.set(rt.phase, Phase.Stopped())
    const settled = runningCond?.status === "False" && runningCond.reason === R.Stopped
    if (!settled) yield* w({ conditions: [cond(Running, "False", R.Stopped, M.stopped)], sshLocalPort: 0 })
  })

const stopVm = (
  deps: Deps,
  rt: VmRuntime,
  name: string,
  w: Write
): Effect.Effect<void, ReconcileFailed> =>
  Effect.gen(function*() {
    yield* stopWatcher(rt)
    const stopped = yield* Effect.either(
      deps.driver.stop(name, deps.stopGrace === undefined ? {} : { grace: deps.stopGrace })
    )
    if (Either.isLeft(stopped)) {
      yield* Ref.set(rt.phase, Phase.Unknown())
      yield* w({ conditions: [cond(Running, "False", R.StopFailed, stopped.left.message)] })
      return yield* failed(stopped.left.message)
    }
    yield* Ref.set(rt.phase, Phase.Stopped())
  })

const adoptPhase = (
  deps: Deps,
  rt: VmRuntime,
  scope: Scope.Scope,
  name: string,
  state: VmState
): Effect.Effect<void> => {
  switch (state._tag) {
    case "Absent":
    case "Stopped":
      return Ref.set(rt.phase, Phase.Stopped())
    case "Starting":
      return Effect.zipRight(Ref.set(rt.phase, Phase.Starting()), watch(deps, rt, scope, name, "boot"))
    case "Running":
      return Effect.zipRight(Ref.set(rt.phase, Phase.Running()), watch(deps, rt, scope, name, "exit"))
    case "Broken":
      return Ref.set(rt.phase, Phase.Broken({ message: `the VM (pid ${state.pid}) does not answer: ${state.reason}` }))
  }
}

const ExitRecheck = Duration.millis(500)

/** Forks the boot/exit watcher into the worker's scope; it only moves the phase and wakes the worker. */
const watch = (
  deps: Deps,
  rt: VmRuntime,
  scope: Scope.Scope,
  name: string,
  from: "boot" | "exit"
): Effect.Effect<void> =>
  Effect.gen(function*() {
    yield* stopWatcher(rt)
    // an exit is believed only when the driver also sees no VM process (a pid file
    // briefly missing must not make a healthy VM look crashed)
    const confirmedExit: Effect.Effect<void> = Effect.flatMap(deps.driver.awaitExit(name), () =>
      Effect.flatMap(deps.driver.status(name), (state) =>
        isUp(state) ? Effect.zipRight(Effect.sleep(ExitRecheck), confirmedExit) : Effect.void))
    const exit = confirmedExit.pipe(
      Effect.zipRight(Ref.set(rt.phase, Phase.Exited())),
      Effect.zipRight(rt.wake(true))
    )
    const boot = deps.driver.awaitRunning(name, rt.wake(false)).pipe(
      Effect.matchEffect({
        onFailure: (e) => Effect.zipRight(Ref.set(rt.phase, Phase.BootFailed({ message: e.message })), rt.wake(true)),
        onSuccess: () => Effect.zipRight(Effect.zipRight(Ref.set(rt.phase, Phase.Running()), rt.wake(true)), exit)
      })
    )
    const fiber = yield* Effect.forkIn(from === "boot" ? boot : exit, scope)
    yield* Ref.set(rt.watcher, Option.some(fiber))
  })

const deletion = (deps: Deps, rt: VmRuntime, vm: LimaVm.LimaVm): Effect.Effect<void, ReconcileFailed> =>
  Effect.gen(function*() {
    const { driver, kube } = deps
    if (!(vm.object.metadata.finalizers ?? []).includes(LimaVm.CleanupFinalizer)) return
    yield* stopWatcher(rt)
    // graceful first (a guest that powers off cleanly keeps its disks consistent), then remove
    const state = yield* driver.status(vm.name)
    if (state._tag !== "Absent" && state._tag !== "Stopped") {
      yield* Effect.mapError(driver.stop(vm.name, deps.stopGrace === undefined ? {} : { grace: deps.stopGrace }), (e) => failed(e.message))
    }
    yield* Effect.mapError(driver.delete(vm.name), (e) => failed(e.message))
    yield* Ref.set(rt.phase, Phase.Unknown())

    const owned = yield* kubeFailed(kube.list(Core.configmaps, { namespace: vm.namespace }))
    const copyName = LimaVm.templateCopyName(vm.name)
    for (const cm of owned.items) {
      if (!TemplateCopy.isOwnedBy(cm, vm.uid)) continue
      const ref = { type: Core.configmaps, namespace: vm.namespace, name: cm.metadata.name ?? copyName }
      const finalizers = cm.metadata.finalizers ?? []
      const kept = finalizers.filter((f) => !f.startsWith(LimaVm.OwnedByPrefix))
      if (kept.length !== finalizers.length) {
        yield* kubeFailed(kube.patch(ref, { metadata: { finalizers: kept } }, "merge").pipe(
          Effect.catchTag("NotFound", () => Effect.void)
        ))
      }
      yield* kubeFailed(kube.delete(ref).pipe(Effect.catchTag("NotFound", () => Effect.void)))
    }
    yield* kubeFailed(NameClaim.release(kube, vm.name, vm.namespace))
    yield* kubeFailed(kube.update(LimaVm.refOf(vm.namespace, vm.name), {
      ...vm.object,
      metadata: { ...vm.object.metadata, finalizers: (vm.object.metadata.finalizers ?? []).filter((f) => f !== LimaVm.CleanupFinalizer) }
    }).pipe(Effect.catchTag("NotFound", () => Effect.void)))
    yield* Effect.logInfo(`LimaVM ${vm.namespace}/${vm.name} deleted: VM, template copy and owned ConfigMaps removed`)
  })

/** Backoff after `failures` consecutive failed passes: initial * 2^(n-1), capped. */
export const backoff = (failures: number, initial: Duration.Duration, max: Duration.Duration): Duration.Duration =>
  Duration.min(max, Duration.times(initial, 2 ** Math.min(Math.max(failures - 1, 0), 30)))
