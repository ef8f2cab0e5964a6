/**
 * The App controller together with the real LimaVM controller, on the real API
 * engine (test/support/engine.ts) and the fake VM driver: what the App makes,
 * how settings reach the VM, when Settled turns True (never before the VM is in
 * the asked state at the written generation), and deletion through finalizers.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option, Stream, TestClock } from "effect"
import * as AppAdmission from "../../src/controlplane/controllers/app/Admission.js"
import type { AppHost } from "../../src/controlplane/controllers/app/Host.js"
import { TemplateUnavailable } from "../../src/controlplane/controllers/app/Host.js"
import * as AppController from "../../src/controlplane/controllers/app/index.js"
import * as LimaAdmission from "../../src/controlplane/controllers/limavm/Admission.js"
import * as LimaController from "../../src/controlplane/controllers/limavm/Controller.js"
import * as App from "../../src/domain/App.js"
import { Core, type Condition, type KubeObject } from "../../src/domain/KubeObject.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as FakeVmDriver from "../fakes/FakeVmDriver.js"
import * as Engine from "../support/engine.js"

const Base = "vmType: qemu\ncpus: 1\nmemory: 256MiB\nimages:\n- location: /var/lib/rdd/disk.img\n"

const host = (base: Effect.Effect<string, TemplateUnavailable> = Effect.succeed(Base)): AppHost => ({
  baseTemplate: () => base,
  params: (kubernetesPort) => ({ dockerSocket: "/h/.rd2/docker.sock", homeInGuest: "/h", instanceConfigDir: "/h/.local/share/rd", kubernetesPort }),
  pickKubernetesPort: Effect.succeed(7443)
})

/**
 * The App's namespace in these tests: one the App has to make (the daemon's own
 * `default` exists from the start, so an App there makes and owns nothing; see
 * the last test).
 */
const Ns = "apps"

const setup = (appHost: AppHost = host()) =>
  Effect.gen(function*() {
    const kube = yield* Engine.make()
    const fake = yield* FakeVmDriver.make
    kube.admit(...LimaAdmission.plugins({ kube: kube.client, hostArch: "x86_64" }), ...AppAdmission.plugins)
    yield* LimaController.start({ kube: kube.client, driver: fake.driver, hostArch: "x86_64" }, { initial: Duration.seconds(1), max: Duration.seconds(30) })
    // the App controller's reads of the App: one per reconcile pass
    let passes = 0
    const counting = {
      ...kube.client,
      get: (ref: Parameters<typeof kube.client.get>[0]) => {
        if (ref.type.resource === App.Plural) passes++
        return kube.client.get(ref)
      }
    }
    yield* AppController.start({ kube: counting, host: appHost })
    // every App status the controller writes, in order
    const history: Array<{ readonly generation: number; readonly settled: Condition | undefined; readonly boots: number }> = []
    yield* kube.client.watch(App.AppType).pipe(
      Stream.runForEach((e) =>
        Effect.sync(() => {
          if (e.type === "BOOKMARK") return
          const settled = App.findCondition(App.conditionsOf(e.object), "Settled")
          history.push({ generation: e.object.metadata.generation ?? 0, settled, boots: fake.vms.get("rd")?.boots ?? 0 })
        })
      ),
      Effect.forkScoped
    )
    const app = () => Option.fromNullable(kube.find(App.AppType, undefined, "app"))
    const settledAt = (generation: number) =>
      Option.match(app(), {
        onNone: () => false,
        onSome: (a) => {
          const c = App.findCondition(App.conditionsOf(a), "Settled")
          return c?.status === "True" && (c.observedGeneration ?? 0) >= generation && (a.metadata.generation ?? 0) === generation
        }
      })
    const create = (spec: Record<string, unknown>) =>
      kube.client.create(App.AppType, { apiVersion: App.ApiVersion, kind: App.Kind, metadata: { name: "app" }, spec: { namespace: Ns, ...spec } })
    const patch = (spec: Record<string, unknown>) => kube.client.patch(App.SingletonRef, { spec }, "merge")
    const vm = () => Option.map(Option.fromNullable(kube.find(LimaVm.LimaVmType, Ns, "rd")), LimaVm.fromObject)
    return { kube, fake, history, app, settledAt, create, patch, vm, passes: () => passes }
  })

const until = (what: string, check: () => boolean, steps = 5000): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (let i = 0; i < steps; i++) {
      if (check()) return
      yield* Effect.yieldNow()
    }
    assert.fail(`never happened: ${what}`)
  })

const conditionOf = (o: Option.Option<KubeObject>, type: string) =>
  Option.flatMap(o, (a) => Option.fromNullable(App.findCondition(App.conditionsOf(a), type)))

describe("App controller", () => {
  it.scoped("a new App gets its finalizer, namespace, LimaVM rd and template copy, and settles stopped", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.create({ running: false })
      yield* until("settled at generation 1", () => t.settledAt(1))
      const app = Option.getOrThrow(t.app())
      assert.include(app.metadata.finalizers ?? [], App.CleanupFinalizer)
      const ns = t.kube.find(Core.namespaces, undefined, Ns)
      assert.strictEqual(ns?.metadata.ownerReferences?.[0]?.uid, app.metadata.uid)
      const vm = Option.getOrThrow(t.vm())
      assert.deepStrictEqual(vm.object.metadata.ownerReferences?.map((r) => [r.kind, r.uid, r.controller]), [["App", app.metadata.uid, true]])
      assert.include(vm.object.metadata.finalizers ?? [], App.OwnedByFinalizer)
      assert.isFalse(vm.spec.running)
      assert.isUndefined(t.kube.find(Core.configmaps, Ns, "rd"), "the input ConfigMap is removed once copied")
      const copy = t.kube.find(Core.configmaps, Ns, "rd-template")!
      assert.match(String((copy["data"] as Record<string, string>)["template"]), /KUBERNETES_ENABLED: "false"/)
      assert.strictEqual(Option.getOrThrow(conditionOf(t.app(), "Running")).reason, "Stopped")
      assert.strictEqual(Option.getOrThrow(conditionOf(t.app(), "Created")).status, "True")
      const engine = Option.getOrThrow(conditionOf(t.app(), "ContainerEngineReady"))
      assert.strictEqual(engine.reason, "NotApplicable")
      assert.match(engine.message ?? "", /engine controller does not run/)
      assert.strictEqual(Option.getOrThrow(conditionOf(t.app(), "KubernetesReady")).message, "Kubernetes is not enabled")
      for (const c of App.conditionsOf(Option.getOrThrow(t.app()))) assert.strictEqual(c.observedGeneration, 1, c.type)
    }))

  it.scoped("running=true boots the VM; Settled turns True at the new generation only after it runs", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.create({ running: false })
      yield* until("settled at 1", () => t.settledAt(1))
      yield* t.patch({ running: true })
      yield* until("settled at 2", () => t.settledAt(2))
      assert.strictEqual(Option.getOrThrow(conditionOf(t.app(), "Running")).reason, "Started")
      assert.strictEqual(t.fake.vms.get("rd")?.boots, 1)
      const isTrue2 = (h: (typeof t.history)[number]) => h.generation === 2 && h.settled?.status === "True" && (h.settled.observedGeneration ?? 0) >= 2
      yield* until("history caught up", () => t.history.some(isTrue2))
      assert.strictEqual(t.history.find(isTrue2)?.boots, 1)
      assert.isTrue(t.history.some((h) => h.generation === 2 && h.settled?.status === "False"), "it said not yet first")
    }))

  it.scoped("changing cpus rewrites the template and restarts the running VM before settling", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.create({ running: true })
      yield* until("settled at 1", () => t.settledAt(1))
      const restarts = Option.getOrThrow(t.vm()).status.restartCount
      yield* t.patch({ virtualMachine: { cpus: 2 } })
      yield* until("settled at 2", () => t.settledAt(2))
      assert.strictEqual(t.fake.vms.get("rd")?.boots, 2)
      assert.match(t.fake.vms.get("rd")?.templateText ?? "", /^cpus: 2$/m)
      assert.strictEqual(Option.getOrThrow(t.vm()).status.restartCount, restarts + 1)
      yield* until("history caught up", () => t.history.some((h) => h.generation === 2 && h.settled?.status === "True"))
      const early = t.history.find((h) => h.generation === 2 && h.settled?.status === "True" && (h.settled.observedGeneration ?? 0) >= 2 && h.boots < 2)
      assert.isUndefined(early, "Settled=True at generation 2 before the VM restarted")
    }))

  it.scoped("stop: running=false settles once the VM reports Stopped", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.create({ running: true })
      yield* until("settled at 1", () => t.settledAt(1))
      yield* t.patch({ running: false })
      yield* until("settled at 2", () => t.settledAt(2))
      assert.isUndefined(t.fake.vms.get("rd")?.pid)
      assert.isFalse(Option.getOrThrow(t.vm()).spec.running)
    }))

  it.scoped("deleting the App deletes the LimaVM, its copy and the namespace it made, then the App", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.create({ running: true })
      yield* until("settled at 1", () => t.settledAt(1))
      yield* t.kube.client.delete(App.SingletonRef)
      yield* until("App gone", () => Option.isNone(t.app()))
      assert.isTrue(Option.isNone(t.vm()))
      assert.isUndefined(t.kube.find(Core.configmaps, Ns, "rd-template"))
      // deleted: Terminating until the daemon's Namespaces controller (not running here) finalizes it
      assert.isDefined(t.kube.find(Core.namespaces, undefined, Ns)?.metadata.deletionTimestamp)
      assert.isFalse(t.fake.vms.has("rd"), "the VM instance is deleted")
    }))

  it.scoped("a template that cannot be read shows in Settled with a Failed reason", () =>
    Effect.gen(function*() {
      const t = yield* setup(host(Effect.fail(new TemplateUnavailable({ message: "cannot read the app's VM template \"/nope\"" }))))
      yield* t.create({ running: true })
      yield* until("TemplateFailed", () => Option.getOrUndefined(conditionOf(t.app(), "Settled"))?.reason === "TemplateFailed")
      assert.match(Option.getOrThrow(conditionOf(t.app(), "Settled")).message ?? "", /\/nope/)
      assert.isTrue(Option.isNone(t.vm()))
    }))

  it.scoped("a blocked App backs off instead of hot-looping", () =>
    Effect.gen(function*() {
      const t = yield* setup(host(Effect.fail(new TemplateUnavailable({ message: "cannot read the app's VM template" }))))
      yield* t.create({ running: true })
      yield* until("TemplateFailed", () => Option.getOrUndefined(conditionOf(t.app(), "Settled"))?.reason === "TemplateFailed")
      const writes = t.kube.writes()
      const passes = t.passes()
      for (let s = 0; s < 60; s++) {
        yield* TestClock.adjust(Duration.seconds(1))
        yield* Effect.yieldNow()
      }
      // backoff 0.5s, 1s, 2s, ... capped at 30s: about 7 passes in a minute
      assert.isAtMost(t.passes() - passes, 10, "passes in a minute of failures")
      assert.isAtLeast(t.passes() - passes, 3, "it keeps retrying")
      assert.isAtMost(t.kube.writes() - writes, 2, "a minute of failing passes writes (almost) nothing")
    }))

  it.scoped("admission resolves channels and refuses unsupported versions and other names", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const created = yield* t.create({ running: false, kubernetes: { enabled: true } })
      assert.deepStrictEqual((created["spec"] as { kubernetes: unknown }).kubernetes, { enabled: true, version: "1.34.6" })
      const bad = yield* Effect.flip(t.patch({ kubernetes: { version: "0.0.1" } }))
      assert.strictEqual(bad._tag, "Rejected")
      assert.match(bad.message, /spec.kubernetes.version "0.0.1" is not supported/)
      const other = yield* Effect.flip(t.kube.client.create(App.AppType, { apiVersion: App.ApiVersion, kind: App.Kind, metadata: { name: "x" }, spec: { running: false } }))
      assert.match(other.message, /App resource must be named 'app'/)
      yield* until("settled", () => t.settledAt(1))
      const k8s = Option.getOrThrow(conditionOf(t.app(), "KubernetesReady"))
      assert.match(k8s.message ?? "", /the kubernetes controller does not run in this control plane; kubernetes.enabled=true \(version 1.34.6\)/)
      assert.match(String((t.kube.find(Core.configmaps, Ns, "rd-template")!["data"] as Record<string, string>)["template"]), /KUBERNETES_PORT: "7443"/)
    }))

  it.scoped("an App in the daemon's default namespace neither owns nor deletes it", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.kube.client.create(App.AppType, {
        apiVersion: App.ApiVersion,
        kind: App.Kind,
        metadata: { name: "app" },
        spec: { namespace: "default", running: false }
      })
      yield* until("settled at 1", () => t.settledAt(1))
      assert.isUndefined(t.kube.find(Core.namespaces, undefined, "default")?.metadata.ownerReferences)
      yield* t.kube.client.delete(App.SingletonRef)
      yield* until("App gone", () => Option.isNone(t.app()))
      assert.isDefined(t.kube.find(Core.namespaces, undefined, "default"))
    }))
})
