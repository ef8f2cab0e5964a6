/**
 * The engine controller with the real App and LimaVM controllers on the
 * real API engine (test/support/engine.ts) and the fake VM driver, a scripted engine probe and the
 * TestClock: ContainerEngineReady's transitions (Starting, Ready, Failed after
 * the bound, Stopped, NotApplicable for a console guest), the App's Settled
 * waiting for it, an engine switch, and the Docker context following the App.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option, Ref, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as AppAdmission from "../../src/controlplane/controllers/app/Admission.js"
import type { AppHost } from "../../src/controlplane/controllers/app/Host.js"
import * as AppController from "../../src/controlplane/controllers/app/index.js"
import * as EngineController from "../../src/controlplane/controllers/engine/index.js"
import type { ProbeTarget } from "../../src/controlplane/controllers/engine/Probe.js"
import * as LimaAdmission from "../../src/controlplane/controllers/limavm/Admission.js"
import * as LimaController from "../../src/controlplane/controllers/limavm/Controller.js"
import * as App from "../../src/domain/App.js"
import type { Probe } from "../../src/domain/app/EngineReady.js"
import * as EngineReady from "../../src/domain/app/EngineReady.js"
import * as DockerContext from "../../src/domain/DockerContext.js"
import * as FakeVmDriver from "../fakes/FakeVmDriver.js"
import * as Engine from "../support/engine.js"

const Base = "vmType: qemu\ncpus: 1\nmemory: 256MiB\nimages:\n- location: /var/lib/rdd/disk.img\n"
const Console = `${Base}rdd:\n  readyLine: "READY"\n`

const host = (base: string): AppHost => ({
  baseTemplate: () => Effect.succeed(base),
  params: (kubernetesPort) => ({ dockerSocket: "/h/.rd2/docker.sock", homeInGuest: "/h", instanceConfigDir: "/h/.local/share/rd", kubernetesPort }),
  pickKubernetesPort: Effect.succeed(7443)
})

const setup = (base = Base) =>
  Effect.gen(function*() {
    const kube = yield* Engine.make()
    const fake = yield* FakeVmDriver.make
    kube.admit(...LimaAdmission.plugins({ kube: kube.client, hostArch: "x86_64" }), ...AppAdmission.plugins)
    yield* LimaController.start({ kube: kube.client, driver: fake.driver, hostArch: "x86_64" }, { initial: Duration.seconds(1), max: Duration.seconds(30) })
    yield* AppController.start({ kube: kube.client, host: host(base), parts: Effect.succeed({ engine: true, kubernetes: false }) })
    const answer = yield* Ref.make<Probe>({ ok: false, error: "connect ENOENT /h/.rd2/docker.sock" })
    const probed: Array<ProbeTarget> = []
    let probeOverride: Effect.Effect<Probe> | undefined
    const setProbe = (p: Effect.Effect<Probe>) => {
      probeOverride = p
    }
    const home = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-engine-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(home, { recursive: true, force: true })))
    const context = EngineController.contextStore(home, "2", "/h/.rd2/docker.sock")
    yield* EngineController.start({
      kube: kube.client,
      probe: (t) => Effect.zipRight(Effect.sync(() => probed.push(t)), Effect.suspend(() => probeOverride ?? Ref.get(answer))),
      context,
      dockerSocket: "/h/.rd2/docker.sock",
      limaHome: "/h/lima",
      failAfter: EngineReady.DefaultFailAfter
    })
    const app = () => Option.fromNullable(kube.find(App.AppType, undefined, "app"))
    const condition = (type: string) => Option.flatMap(app(), (a) => Option.fromNullable(App.findCondition(App.conditionsOf(a), type)))
    const engineAt = (generation: number, reason: string) =>
      Option.match(condition("ContainerEngineReady"), {
        onNone: () => false,
        onSome: (c) => c.reason === reason && (c.observedGeneration ?? 0) === generation
      })
    const settledAt = (generation: number) =>
      Option.match(condition("Settled"), { onNone: () => false, onSome: (c) => c.status === "True" && (c.observedGeneration ?? 0) === generation })
    const create = (spec: Record<string, unknown>) =>
      kube.client.create(App.AppType, { apiVersion: App.ApiVersion, kind: App.Kind, metadata: { name: "app" }, spec: { namespace: "default", ...spec } })
    const patch = (spec: Record<string, unknown>) => kube.client.patch(App.SingletonRef, { spec }, "merge")
    return { kube, fake, answer, probed, setProbe, home, app, condition, engineAt, settledAt, create, patch }
  })

/** Lets the fibers run until `check` holds, moving the TestClock a second at a time (the engine's poll). */
const until = (what: string, check: () => boolean, seconds = 60): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (let s = 0; s <= seconds; s++) {
      for (let i = 0; i < 2000; i++) {
        if (check()) return
        yield* Effect.yieldNow()
      }
      yield* TestClock.adjust(Duration.seconds(1))
    }
    assert.fail(`never happened: ${what}`)
  })

const settledReason = (o: Option.Option<{ readonly reason?: string | undefined }>) => Option.getOrUndefined(o)?.reason

describe("engine controller", () => {
  it.scoped("Settled waits for the engine: Starting while it is silent, True once it answers", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.create({ running: true })
      yield* until("engine Starting at 1 with the VM running", () =>
        t.engineAt(1, "Starting") && t.probed.length > 0)
      assert.strictEqual(settledReason(t.condition("Settled")), "Starting", "Settled forwards the engine's reason")
      assert.strictEqual(Option.getOrThrow(t.condition("Settled")).status, "False")
      assert.strictEqual(Option.getOrThrow(t.condition("ContainerEngineReady")).message, "waiting for dockerd (moby) to answer")
      assert.deepStrictEqual(t.probed[0], { engine: "moby", dockerSocket: "/h/.rd2/docker.sock", limaHome: "/h/lima", vmName: "rd" })
      yield* Ref.set(t.answer, { ok: true, version: "20.10.24 (API 1.41)" })
      yield* until("settled at 1", () => t.settledAt(1))
      const c = Option.getOrThrow(t.condition("ContainerEngineReady"))
      assert.deepStrictEqual([c.status, c.reason, c.message], ["True", "Ready", "dockerd (moby) 20.10.24 (API 1.41) is ready"])
    }))

  it.scoped("a silent engine whose error text changes at every probe does not make the controller spin", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      // what the forwarded socket of a guest without dockerd did: ECONNRESET and EPIPE in turn
      let n = 0
      yield* Ref.set(t.answer, { ok: false, error: "" })
      const flip = Effect.sync(() => (n++ % 2 === 0 ? "read ECONNRESET" : "write EPIPE"))
      t.setProbe(Effect.map(flip, (error) => ({ ok: false as const, error })))
      yield* t.create({ running: true })
      yield* until("engine Starting at 1 with the VM running", () => t.engineAt(1, "Starting") && t.probed.length > 0)
      const before = t.probed.length
      // without moving the clock, only events can wake the controller: its own writes must not
      for (let i = 0; i < 20_000; i++) yield* Effect.yieldNow()
      assert.isAtMost(t.probed.length - before, 2, `probes without a clock tick: ${t.probed.length - before}`)
    }))

  it.scoped("an engine that stays silent is Failed after the bound (not before), which Settled forwards", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.create({ running: true })
      yield* until("engine Starting", () => t.engineAt(1, "Starting") && t.probed.length > 0)
      yield* TestClock.adjust(Duration.minutes(2))
      yield* until("probed again", () => t.probed.length > 3, 2)
      assert.strictEqual(settledReason(t.condition("ContainerEngineReady")), "Starting")
      yield* until("engine Failed", () => t.engineAt(1, "Failed"), 120)
      assert.match(Option.getOrThrow(t.condition("ContainerEngineReady")).message ?? "", /did not answer within 3m[^:]*: connect ENOENT/)
      yield* until("Settled says Failed", () => settledReason(t.condition("Settled")) === "Failed")
      // an engine that answers later still becomes Ready
      yield* Ref.set(t.answer, { ok: true, version: "20.10.24" })
      yield* until("settled", () => t.settledAt(1), 30)
    }))

  it.scoped("stopping: Stopped at the new generation, and the App settles stopped", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* Ref.set(t.answer, { ok: true, version: "20.10.24" })
      yield* t.create({ running: true })
      yield* until("settled at 1", () => t.settledAt(1))
      yield* t.patch({ running: false })
      yield* until("settled at 2", () => t.settledAt(2))
      assert.isTrue(t.engineAt(2, "Stopped"))
    }))

  it.scoped("switching to containerd restarts the VM and probes containerd; Ready again at the new generation", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* Ref.set(t.answer, { ok: true, version: "20.10.24" })
      yield* t.create({ running: true })
      yield* until("settled at 1", () => t.settledAt(1))
      yield* Ref.set(t.answer, { ok: true, version: "1.6.20~ds1" })
      yield* t.patch({ containerEngine: { name: "containerd" } })
      yield* until("settled at 2", () => t.settledAt(2))
      assert.strictEqual(t.fake.vms.get("rd")?.boots, 2)
      assert.match(t.fake.vms.get("rd")?.templateText ?? "", /systemctl enable --now containerd.service/)
      assert.strictEqual(t.probed.at(-1)?.engine, "containerd")
      assert.strictEqual(Option.getOrThrow(t.condition("ContainerEngineReady")).message, "containerd 1.6.20~ds1 is ready")
    }))

  it.scoped("a console guest has no engine: NotApplicable (True), so the App settles without a probe", () =>
    Effect.gen(function*() {
      const t = yield* setup(Console)
      yield* t.create({ running: true })
      yield* until("settled at 1", () => t.settledAt(1))
      assert.isTrue(t.engineAt(1, "NotApplicable"))
      assert.strictEqual(t.probed.length, 0)
    }))

  it.scoped("the Docker context exists while the App does and goes with it; config.json is never written", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      // the directory `docker context create rancher-desktop-2` uses (sha256 of the name)
      const meta = path.join(DockerContext.metaDir(t.home, "22074a5928cd02065453b5c3f20e0c46178f0359b84bfeb4a8dce5eefa8d2a0c"), "meta.json")
      yield* t.create({ running: false })
      yield* until("context written", () => fs.existsSync(meta))
      const written = JSON.parse(fs.readFileSync(meta, "utf8")) as Record<string, unknown>
      assert.deepStrictEqual(written["Endpoints"], { docker: { Host: "unix:///h/.rd2/docker.sock", SkipTLSVerify: false } })
      assert.strictEqual(written["Name"], "rancher-desktop-2")
      yield* t.kube.client.delete(App.SingletonRef)
      yield* until("context removed", () => !fs.existsSync(path.dirname(meta)))
      assert.isFalse(fs.existsSync(path.join(t.home, ".docker/config.json")))
    }))
})
