/**
 * An in-memory VmDriver for unit tests of the LimaVM controller. Each VM follows a
 * script (create/start/stop failures, boot delay, never boots, slow or ignored stop)
 * that a test can change at any time; time passes on the Effect Clock only, so
 * TestClock drives it (fork, then TestClock.adjust). `crash` makes a running VM's
 * process die, `calls` records every driver call in order for assertions such as
 * "the slow stop of vm-a did not delay the start of vm-b".
 */
import { Clock, Deferred, Duration, Effect, Layer } from "effect"
import {
  CreateFailed,
  DeleteFailed,
  StartFailed,
  StopFailed,
  VmDriver,
  type VmDriverShape,
  type VmSpec,
  type VmState
} from "../../src/services/VmDriver.js"

export interface VmScript {
  /** create fails with CreateFailed(message) */
  readonly createFails?: string
  /** start fails at once with StartFailed(message) */
  readonly startFails?: string
  /** time from start to the guest's readiness signal (default 0) */
  readonly bootDelay?: Duration.DurationInput
  /** the guest never signals readiness */
  readonly neverBoots?: boolean
  /** the VM process dies this long after start, before it is ready (awaitRunning fails) */
  readonly crashDuringBoot?: Duration.DurationInput
  /** how long a stop takes (default 0) */
  readonly stopDelay?: Duration.DurationInput
  /** stop fails with StopFailed(message) and the VM keeps running */
  readonly stopFails?: string
  /** the guest ignores the power button: stop takes the whole grace period first */
  readonly ignoresPowerButton?: boolean
  /** delete stops the VM, then fails with DeleteFailed(message) */
  readonly deleteFails?: string
}

export interface FakeVm {
  readonly name: string
  templateText: string
  /** pid of the running VM process, undefined when stopped */
  pid: number | undefined
  /** Clock millis at which the current boot signals readiness (undefined: never) */
  readyAt: number | undefined
  /** completed when the current VM process ends */
  exited: Deferred.Deferred<void>
  /** how many times the VM was started (booted) */
  boots: number
  /** frozen (SIGSTOP): adopt reports Broken, stop skips the power button and kills after the QMP timeout */
  frozen: boolean
}

export interface FakeVmDriver {
  readonly driver: VmDriverShape
  readonly layer: Layer.Layer<VmDriver>
  readonly vms: Map<string, FakeVm>
  /** every call as "<op> <name>", in order, recorded when the call begins */
  readonly calls: Array<string>
  /** calls as "<op> <name> done" when they complete successfully */
  readonly completions: Array<string>
  /** sets (merges into) the script of a VM; applies to its next calls */
  readonly script: (name: string, script: VmScript) => void
  /** forgets the script of a VM: everything succeeds at once again */
  readonly clearScript: (name: string) => void
  /** the running VM's process dies (guest crash, QEMU killed) */
  readonly crash: (name: string) => Effect.Effect<void>
  /** the VM process stops answering (like SIGSTOP); `thaw` undoes it */
  readonly freeze: (name: string) => void
  readonly thaw: (name: string) => void
}

/** What the real driver spends on a frozen QEMU before it kills it: one QMP handshake timeout. */
export const FrozenStopDelay = Duration.seconds(2)

const DefaultGrace = Duration.seconds(10)

export const make: Effect.Effect<FakeVmDriver> = Effect.sync(() => {
  const vms = new Map<string, FakeVm>()
  const scripts = new Map<string, VmScript>()
  const calls: Array<string> = []
  const completions: Array<string> = []
  let nextPid = 20000
  const scriptOf = (name: string): VmScript => scripts.get(name) ?? {}
  const record = (op: string, name: string) => Effect.sync(() => calls.push(`${op} ${name}`))
  const done = (op: string, name: string) => Effect.sync(() => completions.push(`${op} ${name} done`))

  const endProcess = (vm: FakeVm) =>
    Effect.gen(function*() {
      vm.pid = undefined
      vm.readyAt = undefined
      vm.frozen = false
      yield* Deferred.succeed(vm.exited, undefined)
    })

  const stateOf = (name: string): Effect.Effect<VmState> =>
    Effect.gen(function*() {
      const vm = vms.get(name)
      if (vm === undefined) return { _tag: "Absent" } as const
      if (vm.pid === undefined) return { _tag: "Stopped" } as const
      const now = yield* Clock.currentTimeMillis
      return vm.readyAt !== undefined && now >= vm.readyAt
        ? { _tag: "Running", pid: vm.pid } as const
        : { _tag: "Starting", pid: vm.pid } as const
    })

  const driver: VmDriverShape = {
    kind: "fake",
    create: (spec: VmSpec) =>
      Effect.gen(function*() {
        yield* record("create", spec.name)
        const s = scriptOf(spec.name)
        if (s.createFails !== undefined) return yield* new CreateFailed({ name: spec.name, message: s.createFails })
        const vm = vms.get(spec.name)
        if (vm !== undefined) vm.templateText = spec.templateText
        else {
          vms.set(spec.name, {
            name: spec.name,
            templateText: spec.templateText,
            pid: undefined,
            readyAt: undefined,
            exited: yield* Deferred.make<void>(),
            boots: 0,
            frozen: false
          })
        }
        yield* done("create", spec.name)
      }),
    storedTemplate: (name) => Effect.sync(() => vms.get(name)?.templateText),
    start: (name) =>
      Effect.gen(function*() {
        yield* record("start", name)
        const vm = vms.get(name)
        if (vm === undefined) return yield* new StartFailed({ name, message: `VM "${name}" does not exist (create it first)` })
        if (vm.pid !== undefined) return { pid: vm.pid }
        const s = scriptOf(name)
        if (s.startFails !== undefined) return yield* new StartFailed({ name, message: s.startFails })
        const now = yield* Clock.currentTimeMillis
        vm.pid = nextPid++
        vm.boots++
        vm.exited = yield* Deferred.make<void>()
        vm.readyAt = s.neverBoots === true || s.crashDuringBoot !== undefined
          ? undefined
          : now + Duration.toMillis(Duration.decode(s.bootDelay ?? 0))
        if (s.crashDuringBoot !== undefined) {
          // The process dies on its own: a daemon fiber so it outlives the caller's scope.
          const pid = vm.pid
          yield* Effect.forkDaemon(Effect.sleep(s.crashDuringBoot).pipe(
            Effect.zipRight(Effect.suspend(() => (vm.pid === pid ? endProcess(vm) : Effect.void)))
          ))
        }
        yield* done("start", name)
        return { pid: vm.pid }
      }),
    awaitRunning: (name) =>
      Effect.gen(function*() {
        const vm = vms.get(name)
        if (vm === undefined || vm.pid === undefined) {
          return yield* new StartFailed({ name, message: `the VM stopped before its guest signalled boot` })
        }
        const exited = vm.exited
        const ready = Effect.gen(function*() {
          if (vm.readyAt === undefined) return yield* Effect.never
          const now = yield* Clock.currentTimeMillis
          if (vm.readyAt > now) yield* Effect.sleep(Duration.millis(vm.readyAt - now))
        })
        const died = Deferred.await(exited).pipe(
          Effect.zipRight(Effect.fail(new StartFailed({ name, message: "the VM stopped before its guest signalled boot" })))
        )
        yield* Effect.raceFirst(ready, died)
      }),
    awaitExit: (name) =>
      Effect.suspend(() => {
        const vm = vms.get(name)
        return vm === undefined || vm.pid === undefined ? Effect.void : Deferred.await(vm.exited)
      }),
    status: stateOf,
    adopt: (name) =>
      Effect.gen(function*() {
        yield* record("adopt", name)
        const state = yield* stateOf(name)
        const vm = vms.get(name)
        return vm?.frozen === true && "pid" in state
          ? { _tag: "Broken", pid: state.pid, reason: "QEMU does not answer on QMP (frozen)" } as const
          : state
      }),
    stop: (name, options) =>
      Effect.gen(function*() {
        yield* record("stop", name)
        const vm = vms.get(name)
        if (vm === undefined || vm.pid === undefined) return
        const s = scriptOf(name)
        if (vm.frozen) {
          yield* Effect.sleep(FrozenStopDelay)
          yield* endProcess(vm)
          yield* done("stop", name)
          return
        }
        if (s.stopDelay !== undefined) yield* Effect.sleep(s.stopDelay)
        if (s.ignoresPowerButton === true) yield* Effect.sleep(options?.grace ?? DefaultGrace)
        if (s.stopFails !== undefined) return yield* new StopFailed({ name, message: s.stopFails })
        yield* endProcess(vm)
        yield* done("stop", name)
      }),
    delete: (name) =>
      Effect.gen(function*() {
        yield* record("delete", name)
        const vm = vms.get(name)
        if (vm === undefined) return
        const s = scriptOf(name)
        if (vm.pid !== undefined) {
          if (vm.frozen) yield* Effect.sleep(FrozenStopDelay)
          else if (s.stopDelay !== undefined) yield* Effect.sleep(s.stopDelay)
          if (s.stopFails !== undefined) return yield* new StopFailed({ name, message: s.stopFails })
          yield* endProcess(vm)
        }
        if (s.deleteFails !== undefined) return yield* new DeleteFailed({ name, message: s.deleteFails })
        vms.delete(name)
        yield* done("delete", name)
      }),
    list: Effect.sync(() => [...vms.keys()].sort()),
    logPath: (name) => `/fake/lima/${name}/serial.log`
  }

  return {
    driver,
    layer: Layer.succeed(VmDriver, driver),
    vms,
    calls,
    completions,
    script: (name, script) => {
      scripts.set(name, { ...scriptOf(name), ...script })
    },
    clearScript: (name) => {
      scripts.delete(name)
    },
    freeze: (name) => {
      const vm = vms.get(name)
      if (vm?.pid !== undefined) vm.frozen = true
    },
    thaw: (name) => {
      const vm = vms.get(name)
      if (vm !== undefined) vm.frozen = false
    },
    crash: (name) =>
      Effect.suspend(() => {
        const vm = vms.get(name)
        return vm === undefined || vm.pid === undefined ? Effect.void : endProcess(vm)
      })
  }
})
