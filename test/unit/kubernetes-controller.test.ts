/**
 * The kubernetes controller with the real App and LimaVM controllers on the
 * real API engine (test/support/engine.ts) and the fake VM driver, a scripted guest (the provision
 * script's status line and k3s's kubeconfig) and API probe, the TestClock, and
 * real kubeconfig files under a temp HOME: KubernetesReady's transitions
 * (InstallFailed when the download failed, Probing, Ready, StartFailed after
 * the bound, NotRunning, NotApplicable), Settled waiting for it, and the kube
 * context merged into and removed from the user's kubeconfig by the
 * current-context rules.
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option, Ref, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { parse, stringify } from "yaml"
import * as AppAdmission from "../../src/controlplane/controllers/app/Admission.js"
import type { AppHost } from "../../src/controlplane/controllers/app/Host.js"
import * as AppController from "../../src/controlplane/controllers/app/index.js"
import * as Files from "../../src/controlplane/controllers/kubernetes/Files.js"
import * as KubernetesController from "../../src/controlplane/controllers/kubernetes/index.js"
import * as LimaAdmission from "../../src/controlplane/controllers/limavm/Admission.js"
import * as LimaController from "../../src/controlplane/controllers/limavm/Controller.js"
import * as App from "../../src/domain/App.js"
import type { GuestView, Probe } from "../../src/domain/app/KubernetesReady.js"
import * as KubernetesReady from "../../src/domain/app/KubernetesReady.js"
import type { Entries, Kubeconfig } from "../../src/domain/KubeconfigMerge.js"
import * as FakeVmDriver from "../fakes/FakeVmDriver.js"
import * as Engine from "../support/engine.js"

const Base = "vmType: qemu\ncpus: 1\nmemory: 256MiB\nimages:\n- location: /var/lib/rdd/disk.img\n"
const Ours = "rancher-desktop-2"

const host: AppHost = {
  baseTemplate: () => Effect.succeed(Base),
  params: (kubernetesPort) => ({ dockerSocket: "/h/.rd2/docker.sock", homeInGuest: "/h", instanceConfigDir: "/h/d", kubernetesPort }),
  pickKubernetesPort: Effect.succeed(7443)
}

/** k3s.yaml as k3s writes it. */
const k3sYaml = stringify({
  apiVersion: "v1",
  clusters: [{ cluster: { "certificate-authority-data": "Q0E=", server: "https://127.0.0.1:6443" }, name: "default" }],
  contexts: [{ context: { cluster: "default", user: "default" }, name: "default" }],
  "current-context": "default",
  kind: "Config",
  preferences: {},
  users: [{ name: "default", user: { "client-certificate-data": "Q0VSVA==", "client-key-data": "S0VZ" } }]
})

const userKind = {
  apiVersion: "v1",
  kind: "Config",
  clusters: [{ name: "kind-kind", cluster: { server: "https://127.0.0.1:39999" } }],
  users: [{ name: "kind-kind", user: { token: "t" } }],
  contexts: [{ name: "kind-kind", context: { cluster: "kind-kind", user: "kind-kind" } }],
  "current-context": "kind-kind",
  preferences: {}
}

const setup = Effect.gen(function*() {
  const kube = yield* Engine.make()
  const fake = yield* FakeVmDriver.make
  kube.admit(...LimaAdmission.plugins({ kube: kube.client, hostArch: "x86_64" }), ...AppAdmission.plugins)
  yield* LimaController.start({ kube: kube.client, driver: fake.driver, hostArch: "x86_64" }, { initial: Duration.seconds(1), max: Duration.seconds(30) })
  yield* AppController.start({ kube: kube.client, host, parts: Effect.succeed({ engine: false, kubernetes: true }) })
  const guest = yield* Ref.make<GuestView>({ status: undefined, kubeconfig: undefined })
  const api = yield* Ref.make<Probe>({ ok: false, error: "connect ECONNREFUSED 127.0.0.1:7443" })
  const answers = yield* Ref.make(true)
  const probed: Array<Entries> = []
  const home = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-k8s-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(home, { recursive: true, force: true })))
  const files = {
    user: path.join(home, ".kube", "config"),
    standalone: path.join(home, ".rd2", "kube.config"),
    mirror: path.join(home, ".local/share/rancher-desktop-2/k3s.yaml")
  }
  yield* KubernetesController.start({
    kube: kube.client,
    guest: () => Ref.get(guest),
    api: (e) => Effect.zipRight(Effect.sync(() => probed.push(e)), Ref.get(api)),
    serverAnswers: () => Ref.get(answers),
    contextName: Ours,
    userConfig: Files.file(files.user),
    standalone: Files.file(files.standalone),
    mirror: Files.file(files.mirror),
    limaHome: "/h/lima",
    failAfter: KubernetesReady.DefaultFailAfter
  })
  const app = () => Option.fromNullable(kube.find(App.AppType, undefined, "app"))
  const condition = (type: string) => Option.flatMap(app(), (a) => Option.fromNullable(App.findCondition(App.conditionsOf(a), type)))
  const k8sAt = (generation: number, reason: string) =>
    Option.match(condition("KubernetesReady"), {
      onNone: () => false,
      onSome: (c) => c.reason === reason && (c.observedGeneration ?? 0) === generation
    })
  const settledAt = (generation: number) =>
    Option.match(condition("Settled"), { onNone: () => false, onSome: (c) => c.status === "True" && (c.observedGeneration ?? 0) === generation })
  const create = (spec: Record<string, unknown>) =>
    kube.client.create(App.AppType, { apiVersion: App.ApiVersion, kind: App.Kind, metadata: { name: "app" }, spec: { namespace: "apps", ...spec } })
  const patch = (spec: Record<string, unknown>) => kube.client.patch(App.SingletonRef, { spec }, "merge")
  const read = (file: string): Kubeconfig | undefined => (fs.existsSync(file) ? parse(fs.readFileSync(file, "utf8")) as Kubeconfig : undefined)
  return { kube, fake, guest, api, answers, probed, home, files, read, condition, k8sAt, settledAt, create, patch }
})

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

const reasonOf = (o: Option.Option<{ readonly reason?: string | undefined }>) => Option.getOrUndefined(o)?.reason
const messageOf = (o: Option.Option<{ readonly message?: string | undefined }>) => Option.getOrUndefined(o)?.message ?? ""
const K8s = { running: true, kubernetes: { enabled: true, version: "1.34.6" } }

describe("kubernetes controller", () => {
  it.scoped("a k3s download that failed in the guest: InstallFailed with the guest's reason, forwarded by Settled; no context written", () =>
    Effect.gen(function*() {
      const t = yield* setup
      yield* Ref.set(t.guest, {
        status: "failed: download of https://github.com/k3s-io/k3s/releases/download/v1.34.6%2Bk3s1/sha256sum-amd64.txt failed (exit 6): curl: (6) Could not resolve host: github.com",
        kubeconfig: undefined
      })
      yield* t.create(K8s)
      yield* until("InstallFailed at 1", () => t.k8sAt(1, "InstallFailed"))
      assert.strictEqual(
        messageOf(t.condition("KubernetesReady")),
        "k3s v1.34.6+k3s1: download of https://github.com/k3s-io/k3s/releases/download/v1.34.6%2Bk3s1/sha256sum-amd64.txt failed (exit 6): curl: (6) Could not resolve host: github.com"
      )
      yield* until("Settled forwards InstallFailed", () => reasonOf(t.condition("Settled")) === "InstallFailed")
      assert.match(messageOf(t.condition("Settled")), /^KubernetesReady=False: k3s v1\.34\.6\+k3s1: download of .* Could not resolve host/)
      assert.strictEqual(t.probed.length, 0)
      assert.isFalse(fs.existsSync(t.files.user))
      assert.isFalse(fs.existsSync(t.files.standalone))
    }))

  it.scoped("Probing while k3s is silent, Ready once it answers: the context merged (current: the user had none), standalone and mirror written 0600", () =>
    Effect.gen(function*() {
      const t = yield* setup
      yield* t.create(K8s)
      yield* until("Probing at 1", () => t.k8sAt(1, "Probing"))
      assert.strictEqual(messageOf(t.condition("KubernetesReady")), "Waiting for k3s API server")
      yield* Ref.set(t.guest, { status: "started v1.34.6+k3s1", kubeconfig: k3sYaml })
      yield* until("probed with the kubeconfig", () => t.probed.length > 0)
      assert.strictEqual(t.probed[0]?.cluster["server"], "https://127.0.0.1:7443")
      assert.strictEqual(reasonOf(t.condition("Settled")), "Probing")
      assert.isFalse(fs.existsSync(t.files.user), "nothing merged before the API answers")
      yield* Ref.set(t.api, { ok: true })
      yield* until("settled at 1", () => t.settledAt(1))
      assert.isTrue(t.k8sAt(1, "Ready"))
      assert.strictEqual(messageOf(t.condition("KubernetesReady")), "Kubernetes cluster is ready")
      const user = t.read(t.files.user)!
      assert.strictEqual(user["current-context"], Ours)
      assert.deepStrictEqual(user["clusters"], [{ name: Ours, cluster: { "certificate-authority-data": "Q0E=", server: "https://127.0.0.1:7443" } }])
      assert.deepStrictEqual(t.read(t.files.standalone), user)
      assert.deepStrictEqual(t.read(t.files.mirror), user)
      for (const f of Object.values(t.files)) assert.strictEqual(fs.statSync(f).mode & 0o777, 0o600, f)
    }))

  it.scoped("the user's working context stays current and untouched; a stop takes ours out, a start with a dead one makes ours current, deleting the App removes it", () =>
    Effect.gen(function*() {
      const t = yield* setup
      fs.mkdirSync(path.dirname(t.files.user), { recursive: true })
      fs.writeFileSync(t.files.user, stringify(userKind))
      yield* Ref.set(t.guest, { status: "started v1.34.6+k3s1", kubeconfig: k3sYaml })
      yield* Ref.set(t.api, { ok: true })
      yield* t.create(K8s)
      yield* until("settled at 1", () => t.settledAt(1))
      let user = t.read(t.files.user)!
      assert.strictEqual(user["current-context"], "kind-kind")
      assert.deepStrictEqual((user["contexts"] as Array<{ name: string }>).map((c) => c.name), ["kind-kind", Ours])
      assert.deepStrictEqual((user["clusters"] as Array<unknown>)[0], userKind.clusters[0])

      yield* t.patch({ running: false })
      yield* until("settled at 2 (stopped)", () => t.settledAt(2))
      yield* until("ours removed", () => !(t.read(t.files.user)?.["contexts"] as Array<{ name: string }>).some((c) => c.name === Ours))
      assert.deepStrictEqual(t.read(t.files.user), userKind)
      assert.isTrue(t.k8sAt(2, "NotRunning"))
      assert.isFalse(fs.existsSync(t.files.standalone))

      yield* Ref.set(t.answers, false)
      yield* t.patch({ running: true })
      yield* until("settled at 3", () => t.settledAt(3))
      user = t.read(t.files.user)!
      assert.strictEqual(user["current-context"], Ours, "the user's context did not answer: ours is made current")

      yield* t.kube.client.delete(App.SingletonRef)
      yield* until("ours removed with the App", () => !fs.existsSync(t.files.standalone) && !fs.existsSync(t.files.mirror))
      user = t.read(t.files.user)!
      assert.strictEqual(user["current-context"], "", "current-context named ours: cleared")
      assert.deepStrictEqual({ ...user, "current-context": "kind-kind" } as Kubeconfig, userKind)
    }))

  it.scoped("k3s that never answers is StartFailed after the bound (not before)", () =>
    Effect.gen(function*() {
      const t = yield* setup
      yield* Ref.set(t.guest, { status: "started v1.34.6+k3s1", kubeconfig: k3sYaml })
      yield* t.create(K8s)
      yield* until("Probing", () => t.k8sAt(1, "Probing") && t.probed.length > 0)
      yield* TestClock.adjust(Duration.minutes(9))
      yield* until("probed again", () => t.probed.length > 3, 2)
      assert.strictEqual(reasonOf(t.condition("KubernetesReady")), "Probing")
      yield* until("StartFailed", () => t.k8sAt(1, "StartFailed"), 120)
      assert.match(messageOf(t.condition("KubernetesReady")), /did not answer within 10m[^:]*: connect ECONNREFUSED 127\.0\.0\.1:7443/)
      yield* Ref.set(t.api, { ok: true })
      yield* until("settled", () => t.settledAt(1), 30)
    }))

  it.scoped("a user kubeconfig that is not YAML is left alone: MergeFailed says so", () =>
    Effect.gen(function*() {
      const t = yield* setup
      fs.mkdirSync(path.dirname(t.files.user), { recursive: true })
      fs.writeFileSync(t.files.user, "clusters: [\n")
      yield* Ref.set(t.guest, { status: "started v1.34.6+k3s1", kubeconfig: k3sYaml })
      yield* Ref.set(t.api, { ok: true })
      yield* t.create(K8s)
      yield* until("MergeFailed", () => t.k8sAt(1, "MergeFailed"))
      assert.match(messageOf(t.condition("KubernetesReady")), /cannot merge the kubeconfig: .*\.kube\/config is not valid YAML/)
      assert.strictEqual(fs.readFileSync(t.files.user, "utf8"), "clusters: [\n")
    }))

  it.scoped("Kubernetes disabled: NotApplicable, the App settles without asking the guest", () =>
    Effect.gen(function*() {
      const t = yield* setup
      yield* t.create({ running: true })
      yield* until("settled at 1", () => t.settledAt(1))
      assert.isTrue(t.k8sAt(1, "NotApplicable"))
      assert.strictEqual(messageOf(t.condition("KubernetesReady")), "Kubernetes is not enabled")
      assert.strictEqual(t.probed.length, 0)
      assert.notInclude(t.fake.vms.get("rd")?.templateText ?? "", "k3s")
    }))
})
