/** The `rdd set` / `rdd stop` programs against the real API engine (test/support/appApi.ts), on the TestClock. */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Fiber, Layer, Logger, Option, Ref, TestClock } from "effect"
import * as Deadline from "../../src/domain/Deadline.js"
import { exitCodeFor } from "../../src/domain/ExitCode.js"
import type { Condition } from "../../src/domain/KubeObject.js"
import * as AppSettings from "../../src/services/AppSettings.js"
import * as Outcome from "../../src/services/Outcome.js"
import * as Progress from "../../src/services/Progress.js"
import * as Fake from "../support/appApi.js"

const cond = (type: string, status: Condition["status"], reason: string, observedGeneration: number, message = ""): Condition => ({
  type,
  status,
  reason,
  message,
  observedGeneration,
  lastTransitionTime: "2026-11-26T00:00:00Z"
})

/** Runs `body` with a fresh fake API and a logger that records messages. */
const withApi = <A, E>(
  options: Fake.Options,
  body: (api: Fake.AppApi, logs: Ref.Ref<ReadonlyArray<string>>) => Effect.Effect<A, E, import("../../src/services/KubeClient.js").KubeClient | Progress.Progress>
) =>
  Effect.gen(function*() {
    const api = yield* Fake.make(options)
    const logs = yield* Ref.make<ReadonlyArray<string>>([])
    const logger = Logger.make(({ message }) => {
      const text = (Array.isArray(message) ? message : [message]).map(String).join(" ")
      Effect.runSync(Ref.update(logs, (l) => [...l, text]))
    })
    return yield* body(api, logs).pipe(
      Effect.provide(Layer.mergeAll(api.layer, Progress.disabled, Logger.replace(Logger.defaultLogger, logger)))
    )
  }).pipe(Effect.scoped)

const set = (args: ReadonlyArray<string>, budget: Duration.Duration, options: Partial<AppSettings.SetOptions> = {}) =>
  Effect.gen(function*() {
    const assignments = yield* AppSettings.parseArgs(args)
    const deadline = yield* Deadline.start(budget)
    return yield* AppSettings.set(assignments, { dryRun: false, wait: true, ...options }, deadline)
  })

describe("rdd set", () => {
  it.effect("creates a missing App with the required fields and waits for Settled at generation 1", () =>
    withApi({}, (api, logs) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(set(["virtualMachine.cpus=2"], Duration.minutes(5)))
        yield* TestClock.adjust(Duration.seconds(1))
        const app = yield* api.app
        assert.isTrue(Option.isSome(app))
        assert.deepStrictEqual(Option.getOrThrow(app)["spec"], {
          namespace: "default",
          containerEngine: { name: "moby" },
          virtualMachine: { cpus: 2 },
          running: false
        })
        yield* api.setConditions([cond("Running", "False", "Starting", 1, "LimaVM has not yet reached Stopped")])
        yield* api.setConditions([cond("Running", "False", "Stopped", 1), cond("Settled", "True", "Settled", 1, "App has reached the desired state")])
        const result = yield* Fiber.join(fiber)
        assert.strictEqual(result.outcome, "updated")
        const lines = yield* Ref.get(logs)
        assert.includeMembers([...lines], [
          "App created",
          "Waiting for App to settle",
          "Running=False: LimaVM has not yet reached Stopped (Starting)",
          "Running=False:  (Stopped)",
          "Settled=True: App has reached the desired state (Settled)"
        ])
      })))

  it.effect("patches an existing App and ignores conditions of older generations", () =>
    withApi({ app: Fake.appObject({ running: false }, 3, [cond("Settled", "True", "Settled", 3)]) }, (api) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(set(["running=true"], Duration.minutes(5)))
        yield* TestClock.adjust(Duration.seconds(1))
        assert.deepStrictEqual(yield* Ref.get(api.writes), ["patch-merge"])
        assert.strictEqual(Option.getOrThrow(yield* api.app).metadata.generation, 4)
        yield* api.setConditions([cond("Settled", "True", "Settled", 3)])
        yield* TestClock.adjust(Duration.seconds(1))
        assert.isNull(yield* Fiber.poll(fiber).pipe(Effect.map(Option.getOrNull)))
        yield* api.setConditions([cond("Settled", "True", "Settled", 4)])
        assert.strictEqual((yield* Fiber.join(fiber)).outcome, "updated")
      })))

  it.effect("a create that races another creator patches theirs instead", () =>
    withApi({ app: Fake.appObject({ running: false }, 1), racingCreator: true }, (api, logs) =>
      Effect.gen(function*() {
        const result = yield* set(["virtualMachine.cpus=2"], Duration.minutes(5), { wait: false })
        assert.strictEqual(result.outcome, "updating")
        assert.deepStrictEqual(yield* Ref.get(api.writes), ["create", "patch-merge"])
        assert.include([...(yield* Ref.get(logs))], "App updated")
        assert.deepStrictEqual((Option.getOrThrow(yield* api.app)["spec"] as { virtualMachine: unknown }).virtualMachine, { cpus: 2 })
      })))

  it.effect("--dry-run on a missing App creates nothing (server-side dry run) and does not wait", () =>
    withApi({}, (api) =>
      Effect.gen(function*() {
        const result = yield* set(["running=true"], Duration.minutes(5), { dryRun: true })
        assert.strictEqual(result.outcome, "noop")
        assert.deepStrictEqual(yield* Ref.get(api.writes), ["create(dryRun)"])
        assert.isTrue(Option.isNone(yield* api.app))
      })))

  it.effect("--dry-run on an existing App changes nothing", () =>
    withApi({ app: Fake.appObject({ running: false }, 2) }, (api) =>
      Effect.gen(function*() {
        yield* set(["running=true"], Duration.minutes(5), { dryRun: true })
        assert.deepStrictEqual(yield* Ref.get(api.writes), ["patch-merge(dryRun)"])
        const app = Option.getOrThrow(yield* api.app)
        assert.strictEqual(app.metadata.generation, 2)
        assert.strictEqual((app["spec"] as { running: boolean }).running, false)
      })))

  it.effect("--wait=false returns after the write", () =>
    withApi({}, (api) =>
      Effect.gen(function*() {
        const result = yield* set(["running=true"], Duration.minutes(5), { wait: false })
        assert.strictEqual(result.outcome, "updating")
        assert.deepStrictEqual(yield* Ref.get(api.writes), ["create"])
      })))

  it.effect("malformed arguments are usage errors (exit 2) found before the API is asked", () =>
    withApi({}, (api) =>
      Effect.gen(function*() {
        const noEq = yield* Effect.flip(set(["foo"], Duration.minutes(5)))
        assert.strictEqual(exitCodeFor(noEq), 2)
        assert.strictEqual(noEq.message, `invalid argument "foo": expected PROPERTY=VALUE format`)
        const empty = yield* Effect.flip(set(["=x"], Duration.minutes(5)))
        assert.strictEqual(exitCodeFor(empty), 2)
        assert.deepStrictEqual(yield* Ref.get(api.writes), [])
      })))

  it.effect("unknown properties, namespace and bad values are rejections (exit 3) and write nothing", () =>
    withApi({}, (api) =>
      Effect.gen(function*() {
        for (const arg of ["foo=1", "namespace=x", "containerEngine.name=podman", "running=maybe", "virtualMachine.cpus=two"]) {
          const e = yield* Effect.flip(set([arg], Duration.minutes(5)))
          assert.strictEqual(exitCodeFor(e), 3, arg)
        }
        assert.deepStrictEqual(yield* Ref.get(api.writes), [])
      })))

  it.effect("a denial by admission is a rejection (exit 3) naming the write", () =>
    withApi({ admit: () => `spec.kubernetes.version "0.0.1" is not supported; see the bundled k3s-versions.json for valid versions` }, () =>
      Effect.gen(function*() {
        const e = yield* Effect.flip(set(["kubernetes.version=0.0.1"], Duration.minutes(5)))
        assert.strictEqual(exitCodeFor(e), 3)
        assert.match(e.message, /^failed to create App: admission webhook "app-validator.app.rancherdesktop.io" denied the request: .*not supported/)
      })))

  it.effect("without the CRD it says what to do (exit 1)", () =>
    withApi({ crdInstalled: false }, () =>
      Effect.gen(function*() {
        const e = yield* Effect.flip(set(["running=true"], Duration.minutes(5)))
        assert.strictEqual(exitCodeFor(e), 1)
        assert.strictEqual(e.message, "app CRD is not installed; make sure the control plane is running with the app controller enabled")
      })))

  it.effect("times out with exit 4 at the deadline, also after the first events", () =>
    withApi({ app: Fake.appObject({ running: false }, 1) }, (api) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(set(["running=true"], Duration.seconds(2)))
        yield* TestClock.adjust(Duration.seconds(1))
        yield* api.setConditions([cond("Settled", "False", "Starting", 2, "LimaVM has not yet reached Started")])
        yield* TestClock.adjust(Duration.seconds(2))
        const e = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual(exitCodeFor(e), 4)
        assert.match(e.message, /^timed out after 2s waiting for App to settle \(generation 2\): context deadline exceeded/)
      })))

  it.effect("fails at once when the VM cannot start or the App is deleted", () =>
    withApi({ app: Fake.appObject({ running: false }, 1) }, (api) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(set(["running=true"], Duration.minutes(5)))
        yield* TestClock.adjust(Duration.millis(10))
        yield* api.setConditions([cond("Settled", "False", "StartFailed", 2, "kernel not found: /x/vmlinuz")])
        const e = yield* Effect.flip(Fiber.join(fiber))
        assert.strictEqual(exitCodeFor(e), 1)
        assert.match(e.message, /kernel not found/)
        const again = yield* Effect.fork(set(["running=false"], Duration.minutes(5)))
        yield* TestClock.adjust(Duration.millis(10))
        yield* api.deleteApp
        const gone = yield* Effect.flip(Fiber.join(again))
        assert.strictEqual(exitCodeFor(gone), 1)
        assert.match(gone.message, /deleted/)
      })))
})

describe("rdd stop", () => {
  it.effect("never creates a missing App", () =>
    withApi({}, (api, logs) =>
      Effect.gen(function*() {
        const deadline = yield* Deadline.start(Duration.minutes(5))
        const result = yield* AppSettings.stop({ wait: true }, deadline)
        assert.strictEqual(result.outcome, "noop")
        assert.deepStrictEqual(yield* Ref.get(api.writes), [])
        assert.include([...(yield* Ref.get(logs))], "App does not exist; nothing to stop")
      })))

  it.effect("sets running=false on an existing App and waits", () =>
    withApi({ app: Fake.appObject({ running: true }, 1) }, (api) =>
      Effect.gen(function*() {
        const deadline = yield* Deadline.start(Duration.minutes(5))
        const fiber = yield* Effect.fork(AppSettings.stop({ wait: true }, deadline))
        yield* TestClock.adjust(Duration.millis(10))
        yield* api.setConditions([cond("Settled", "True", "Settled", 2)])
        assert.strictEqual((yield* Fiber.join(fiber)).outcome, "stopped")
        assert.strictEqual((Option.getOrThrow(yield* api.app)["spec"] as { running: boolean }).running, false)
      })))
})

describe("outcome vocabulary of set, start and stop, each wait mode (docs/lifecycle.md, Outcomes)", () => {
  const settle = (api: Fake.AppApi, generation: number) => api.setConditions([cond("Settled", "True", "Settled", generation)])
  const run = <A extends { readonly outcome: string }, E, R>(api: Fake.AppApi, self: Effect.Effect<A, E, R>, generation: number) =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(self)
      yield* TestClock.adjust(Duration.millis(10))
      yield* settle(api, generation)
      return (yield* Fiber.join(fiber)).outcome
    })
  const cases: ReadonlyArray<readonly [verb: "set" | "start" | "stop", wait: boolean, existing: boolean, expected: string]> = [
    ["set", true, true, "updated"],
    ["set", false, true, "updating"],
    ["set", true, false, "updated"],
    ["set", false, false, "updating"],
    ["start", true, true, "ready"],
    ["start", false, true, "starting"],
    ["start", true, false, "ready"],
    ["start", false, false, "starting"],
    ["stop", true, true, "stopped"],
    ["stop", false, true, "stopping"],
    ["stop", true, false, "noop"],
    ["stop", false, false, "noop"]
  ]
  for (const [verb, wait, existing, expected] of cases) {
    it.effect(`${verb} --wait=${wait} on ${existing ? "an existing" : "a missing"} App: ${expected}`, () =>
      withApi(existing ? { app: Fake.appObject({ running: verb === "stop" }, 1) } : {}, (api) =>
        Effect.gen(function*() {
          const deadline = yield* Deadline.start(Duration.minutes(5))
          const program = verb === "set"
            ? AppSettings.set([{ path: "virtualMachine.cpus", raw: "2" }], { dryRun: false, wait }, deadline)
            : verb === "start"
            ? AppSettings.start({ wait }, deadline)
            : AppSettings.stop({ wait }, deadline)
          const outcome = yield* run(api, program, existing ? 2 : 1)
          assert.strictEqual(outcome, expected)
          assert.include(Outcome.Vocabulary[verb] as ReadonlyArray<string>, outcome)
        })))
  }
})

describe("the App's VM template (RDD_APP_TEMPLATE)", () => {
  const annotation = "app.rancherdesktop.io/vm-template"

  it.effect("is saved on the App that set creates, and said so", () =>
    withApi({}, (api, logs) =>
      Effect.gen(function*() {
        const fiber = yield* Effect.fork(set(["running=false"], Duration.minutes(5), { wait: false, appTemplate: Option.some("/t/vm.yaml") }))
        yield* TestClock.adjust(Duration.seconds(1))
        yield* Fiber.join(fiber)
        const app = Option.getOrThrow(yield* api.app)
        assert.strictEqual(app.metadata.annotations?.[annotation], "/t/vm.yaml")
        assert.include(yield* Ref.get(logs), `the App's VM template is "/t/vm.yaml" (saved on the App)`)
      })))

  it.effect("a set without it keeps the saved one; a different one is reported and not applied", () =>
    withApi({ app: { ...Fake.appObject({ running: false }, 1, [cond("Settled", "True", "Settled", 1)]), metadata: { ...Fake.appObject({}).metadata, annotations: { [annotation]: "/t/vm.yaml" } } } }, (api, logs) =>
      Effect.gen(function*() {
        for (const appTemplate of [Option.none(), Option.some("/t/other.yaml")]) {
          const fiber = yield* Effect.fork(set(["running=false"], Duration.minutes(5), { wait: false, appTemplate }))
          yield* TestClock.adjust(Duration.seconds(1))
          yield* Fiber.join(fiber)
          assert.strictEqual(Option.getOrThrow(yield* api.app).metadata.annotations?.[annotation], "/t/vm.yaml")
        }
        const warned = (yield* Ref.get(logs)).filter((l) => l.includes("is not applied"))
        assert.deepStrictEqual(warned, [
          `RDD_APP_TEMPLATE=/t/other.yaml is not applied: the App's VM template is "/t/vm.yaml" (annotation ${annotation}); ` +
          `to change it: rdd ctl annotate app app ${annotation}=/t/other.yaml --overwrite`
        ])
      })))
})
