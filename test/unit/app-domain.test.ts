/** App admission, the k3s versions table, the Settled rules and the VM template rendering. */
import { assert, describe, it } from "@effect/vitest"
import * as Either from "effect/Either"
import { parse } from "yaml"
import * as App from "../../src/domain/App.js"
import * as Admission from "../../src/domain/app/Admission.js"
import * as AppStatus from "../../src/domain/app/AppStatus.js"
import * as K3sVersions from "../../src/domain/app/K3sVersions.js"
import * as Settled from "../../src/domain/app/Settled.js"
import * as Engine from "../../src/domain/app/Engine.js"
import * as VmTemplate from "../../src/domain/app/VmTemplate.js"
import type { Condition, KubeObject } from "../../src/domain/KubeObject.js"
import * as LimaTemplate from "../../src/domain/LimaTemplate.js"
import * as LimaVm from "../../src/domain/LimaVm.js"

const app = (spec: Record<string, unknown>, name = "app"): KubeObject => ({
  apiVersion: App.ApiVersion,
  kind: App.Kind,
  metadata: { name },
  spec
})

describe("K3sVersions", () => {
  it("resolves channels with or without the v", () => {
    assert.strictEqual(K3sVersions.resolveChannel("stable"), "1.34.6")
    assert.strictEqual(K3sVersions.resolveChannel("latest"), "1.35.3")
    assert.strictEqual(K3sVersions.resolveChannel("v1.33"), "1.33.10")
    assert.strictEqual(K3sVersions.resolveChannel("1.32"), "1.32.13")
    assert.strictEqual(K3sVersions.resolveChannel("1.34.2"), "1.34.2")
  })
  it("knows the supported versions", () => {
    assert.isTrue(K3sVersions.isSupported("1.32.0"))
    assert.isTrue(K3sVersions.isSupported("v1.34.6+k3s1"))
    assert.isFalse(K3sVersions.isSupported("1.34.0"))
    assert.isFalse(K3sVersions.isSupported("1.31.99"))
    assert.isFalse(K3sVersions.isSupported("0.0.1"))
    assert.strictEqual(K3sVersions.Supported.length, 14 + 11 + 6 + 4)
  })
})

describe("Admission", () => {
  it("defaults the stable channel when Kubernetes is enabled without a version", () => {
    const out = Admission.defaults(app({ running: false, kubernetes: { enabled: true } }))
    assert.deepStrictEqual(out["spec"], {
      running: false,
      namespace: "default",
      containerEngine: { name: "moby" },
      kubernetes: { enabled: true, version: "1.34.6" }
    })
  })
  it("resolves a channel and leaves concrete versions alone", () => {
    assert.deepStrictEqual(Admission.defaults(app({ kubernetes: { enabled: false, version: "v1.35" } }))["spec"], {
      namespace: "default",
      containerEngine: { name: "moby" },
      kubernetes: { enabled: false, version: "1.35.3" }
    })
    const untouched = app({ running: true, namespace: "x", containerEngine: { name: "containerd" }, kubernetes: { enabled: true, version: "1.33.1" } })
    assert.strictEqual(Admission.defaults(untouched), untouched)
  })
  it("refuses unsupported versions, an empty version when enabled, other names and a changed namespace", () => {
    assert.strictEqual(
      Admission.validate(app({ running: false, kubernetes: { enabled: false, version: "0.0.1" } }), undefined),
      `spec.kubernetes.version "0.0.1" is not supported; see the bundled k3s-versions.json for valid versions`
    )
    assert.strictEqual(
      Admission.validate(app({ running: false, kubernetes: { enabled: true, version: "" } }), undefined),
      "spec.kubernetes.version must not be empty when spec.kubernetes.enabled is true"
    )
    assert.strictEqual(Admission.validate(app({ running: false }, "other"), undefined), "App resource must be named 'app'")
    assert.strictEqual(
      Admission.validate(app({ running: false, namespace: "x" }), app({ running: false, namespace: "default" })),
      "spec.namespace is immutable"
    )
    assert.isUndefined(Admission.validate(app({ running: true, kubernetes: { enabled: true, version: "1.34.6" } }), undefined))
  })
  it("checks the settings' types, enum and bounds in kube's words", () => {
    assert.strictEqual(
      Admission.validate(app({ running: false, virtualMachine: { cpus: 100 } }), undefined),
      "spec.virtualMachine.cpus: Invalid value: 100: spec.virtualMachine.cpus in body should be less than or equal to 64"
    )
    assert.strictEqual(
      Admission.validate(app({ running: false, virtualMachine: { memoryInGB: 0 } }), undefined),
      "spec.virtualMachine.memoryInGB: Invalid value: 0: spec.virtualMachine.memoryInGB in body should be greater than or equal to 1"
    )
    assert.strictEqual(
      Admission.validate(app({ running: false, containerEngine: { name: "podman" } }), undefined),
      `spec.containerEngine.name: Unsupported value: "podman": supported values: "moby", "containerd"`
    )
    assert.strictEqual(Admission.validate(app({}), undefined), "spec.running: Required value")
    assert.isUndefined(Admission.validate(app({ running: false, virtualMachine: { cpus: 64, memoryInGB: 256 } }), undefined))
  })
})

describe("specOf", () => {
  it("reads the settings with the CRD's defaults", () => {
    assert.deepStrictEqual(App.specOf(app({ running: true })), {
      running: true,
      namespace: "default",
      containerEngine: "moby",
      kubernetesEnabled: false,
      kubernetesVersion: ""
    })
    assert.deepStrictEqual(App.specOf(app({ running: false, virtualMachine: { cpus: 2, memoryInGB: 1 }, containerEngine: { name: "containerd" } })), {
      running: false,
      namespace: "default",
      containerEngine: "containerd",
      kubernetesEnabled: false,
      kubernetesVersion: "",
      cpus: 2,
      memoryInGB: 1
    })
  })
})

const cond = (type: string, status: Condition["status"], reason: string, observedGeneration = 5, message = ""): Condition => ({
  type,
  status,
  reason,
  message,
  observedGeneration
})

describe("Settled", () => {
  const base: Settled.SettledInput = {
    generation: 5,
    shouldRun: true,
    templateUpToDate: true,
    vmCurrent: true,
    conditions: [cond("Running", "True", "Started")],
    engineControllerEnabled: false,
    kubernetesControllerEnabled: false,
    kubernetesEnabled: false
  }
  const decide = (patch: Partial<Settled.SettledInput>) => Settled.decide({ ...base, ...patch })

  it("is True when the VM runs as asked and nothing else is enabled", () => {
    assert.deepStrictEqual(decide({}), { status: "True", reason: "Settled", message: "App has reached the desired state" })
    assert.strictEqual(decide({ shouldRun: false, conditions: [cond("Running", "False", "Stopped")] }).status, "True")
  })
  it("reports a LimaVM that cannot be created before anything else", () => {
    assert.deepStrictEqual(decide({ templateUpToDate: false, conditions: [cond("Created", "False", "CreateFailed", 5, "cannot download")] }), {
      status: "False",
      reason: "CreateFailed",
      message: "cannot download"
    })
    assert.strictEqual(decide({ templateUpToDate: false, conditions: [cond("Created", "Unknown", "Pending")] }).reason, "ApplyingTemplate")
  })
  it("waits for the template, the LimaVM and its observation first", () => {
    assert.strictEqual(decide({ templateUpToDate: false }).reason, "ApplyingTemplate")
    assert.strictEqual(decide({ conditions: [] }).reason, "WaitingForLimaVM")
    assert.strictEqual(decide({ vmCurrent: false }).reason, "WaitingForLimaVM")
  })
  it("forwards Running's reason, with its message only for failures", () => {
    assert.deepStrictEqual(decide({ conditions: [cond("Running", "False", "Starting")] }), {
      status: "False",
      reason: "Starting",
      message: "LimaVM has not yet reached Started"
    })
    assert.deepStrictEqual(decide({ conditions: [cond("Running", "False", "StartFailed", 5, "no kernel")] }), {
      status: "False",
      reason: "StartFailed",
      message: "no kernel"
    })
    assert.deepStrictEqual(decide({ shouldRun: false }), {
      status: "False",
      reason: "Started",
      message: "LimaVM has not yet reached Stopped"
    })
  })
  it("waits for an enabled engine and Kubernetes at the current generation", () => {
    const running = cond("Running", "True", "Started")
    assert.strictEqual(decide({ engineControllerEnabled: true }).reason, "WaitingForEngine")
    assert.strictEqual(decide({ engineControllerEnabled: true, conditions: [running, cond("ContainerEngineReady", "True", "Connected", 4)] }).reason, "EngineStale")
    assert.strictEqual(decide({ engineControllerEnabled: true, conditions: [running, cond("ContainerEngineReady", "False", "ConnectFailed")] }).reason, "ConnectFailed")
    assert.strictEqual(decide({ engineControllerEnabled: true, conditions: [running, cond("ContainerEngineReady", "True", "Connected")] }).status, "True")
    assert.strictEqual(decide({ kubernetesControllerEnabled: true, kubernetesEnabled: true }).reason, "WaitingForKubernetes")
    assert.strictEqual(decide({ kubernetesControllerEnabled: true, kubernetesEnabled: false }).status, "True")
    assert.strictEqual(
      decide({ kubernetesControllerEnabled: true, kubernetesEnabled: true, conditions: [running, cond("KubernetesReady", "True", "Ready", 2)] }).reason,
      "KubernetesStale"
    )
  })
  it("when stopped, needs the engine to report Stopped or NotApplicable", () => {
    const stopped = cond("Running", "False", "Stopped")
    assert.strictEqual(decide({ shouldRun: false, engineControllerEnabled: true, conditions: [stopped] }).reason, "EngineStale")
    assert.strictEqual(
      decide({ shouldRun: false, engineControllerEnabled: true, conditions: [stopped, cond("ContainerEngineReady", "True", "NotApplicable")] }).status,
      "True"
    )
    assert.strictEqual(decide({ shouldRun: false, kubernetesControllerEnabled: true, conditions: [stopped] }).status, "True")
  })
})

describe("VmTemplate", () => {
  const host: VmTemplate.HostParams = { dockerSocket: "/h/.rd2/docker.sock", homeInGuest: "/h", instanceConfigDir: "/h/.local/share/x", kubernetesPort: 0 }
  const base = "vmType: qemu\ncpus: 1\nmemory: 256MiB\nimages:\n- location: /x/disk.raw\n"
  it("sets cpus, memory and the params, keeping the rest", () => {
    const out = VmTemplate.render(base, App.specOf(app({ running: true, virtualMachine: { cpus: 2, memoryInGB: 1 } })), host)
    assert.isTrue("text" in out)
    const doc = parse((out as { text: string }).text) as Record<string, unknown>
    assert.strictEqual(doc["cpus"], 2)
    assert.strictEqual(doc["memory"], "1GiB")
    assert.deepStrictEqual(doc["images"], [{ location: "/x/disk.raw" }])
    assert.deepStrictEqual((doc["param"] as Record<string, string>)["CONTAINER_ENGINE"], "moby")
    assert.deepStrictEqual((doc["param"] as Record<string, string>)["KUBERNETES_ENABLED"], "false")
  })
  it("keeps the template's own resources when the App sets none, and is deterministic", () => {
    const spec = App.specOf(app({ running: true }))
    const a = VmTemplate.render(base, spec, host)
    const b = VmTemplate.render(base, spec, host)
    assert.deepStrictEqual(a, b)
    const doc = parse((a as { text: string }).text) as Record<string, unknown>
    assert.strictEqual(doc["cpus"], 1)
    assert.strictEqual(doc["memory"], "256MiB")
  })
  it("adds the qemu driver when the base names none and reports a broken base", () => {
    const doc = parse((VmTemplate.render("images: []\n", App.specOf(app({ running: true })), host) as { text: string }).text) as Record<string, unknown>
    assert.strictEqual(doc["vmType"], "qemu")
    assert.isTrue("error" in VmTemplate.render("- a\n- b\n", App.specOf(app({ running: true })), host))
    assert.isTrue("error" in VmTemplate.render("a: [\n", App.specOf(app({ running: true })), host))
  })
  it("the built-in template is a usable Lima template: a digest-pinned image, the engine socket on HOST_DOCKER_SOCKET, the engine's provision script", () => {
    const out = VmTemplate.render(VmTemplate.defaultBase, App.specOf(app({ running: true })), host)
    const t = LimaTemplate.parse((out as { text: string }).text)
    if (Either.isLeft(t)) return assert.fail(t.left.message)
    const amd64 = t.right.images.find((i) => i.arch === "x86_64")
    assert.match(amd64?.digest ?? "", /^sha512:[0-9a-f]{128}$/)
    assert.match(amd64?.location ?? "", /^https:\/\/.*\.qcow2$/)
    const g = t.right.guest
    assert.deepStrictEqual(g.portForwards.find((f) => f.guestSocket !== undefined)?.hostSocket, "/h/.rd2/docker.sock")
    assert.deepStrictEqual(g.portForwards.find((f) => f.guestSocket === undefined)?.guestPortRange, [6443, 6443])
    assert.strictEqual(g.env["PARAM_CONTAINER_ENGINE"], "moby")
    assert.include(g.provision[0]?.script ?? "", "systemctl enable --now docker.socket docker.service")
    assert.deepStrictEqual(g.mounts, [{ location: "~", writable: true }])
  })
})

describe("Engine.withEngine (through VmTemplate.render)", () => {
  const host: VmTemplate.HostParams = { dockerSocket: "/h/.rd2/docker.sock", homeInGuest: "/h", instanceConfigDir: "/h/.local/share/x", kubernetesPort: 0 }
  const base = "vmType: qemu\nimages:\n- location: /x/disk.raw\nprovision:\n- mode: user\n  script: echo mine\nportForwards:\n- guestPort: 80\n  hostPort: 8080\n"
  const guest = (text: string) => {
    const t = LimaTemplate.parse(text)
    if (Either.isLeft(t)) return assert.fail(t.left.message)
    return t.right.guest
  }
  const rendered = (engine: "moby" | "containerd", from = base) => {
    const out = VmTemplate.render(from, App.specOf(app({ running: true, containerEngine: { name: engine } })), host)
    if ("error" in out) return assert.fail(out.error)
    return out.text
  }
  it("moby: dockerd started first, the base's scripts and forwards kept, the docker socket forwarded to docker_socket", () => {
    const g = guest(rendered("moby"))
    assert.strictEqual(g.provision.length, 2)
    assert.strictEqual(g.provision[0]?.mode, "system")
    assert.include(g.provision[0]?.script ?? "", "systemctl enable --now docker.socket docker.service")
    assert.include(g.provision[0]?.script ?? "", "usermod -aG docker")
    assert.strictEqual(g.provision[1]?.script, "echo mine")
    assert.deepStrictEqual(g.portForwards.filter((f) => f.guestSocket !== undefined).map((f) => [f.guestSocket, f.hostSocket]), [[
      "/var/run/docker.sock",
      "/h/.rd2/docker.sock"
    ]])
    assert.isTrue(g.portForwards.some((f) => f.hostPortRange?.[0] === 8080))
  })
  it("containerd: containerd started and docker stopped, no docker socket on the host", () => {
    const g = guest(rendered("containerd"))
    const script = g.provision[0]?.script ?? ""
    assert.include(script, "systemctl enable --now containerd.service")
    assert.include(script, "systemctl disable --now docker.socket docker.service")
    assert.isTrue(g.portForwards.every((f) => f.guestSocket === undefined))
  })
  it("switching engines changes the template text (a restart); rendering a rendered template again adds nothing twice", () => {
    assert.notStrictEqual(rendered("moby"), rendered("containerd"))
    const again = guest(rendered("moby", rendered("containerd")))
    assert.strictEqual(again.provision.filter((p) => (p.script ?? "").includes(Engine.ProvisionMarker)).length, 1)
    assert.strictEqual(again.portForwards.filter((f) => f.guestSocket !== undefined).length, 1)
    assert.strictEqual(rendered("moby", rendered("moby")), rendered("moby"))
  })
  it("the script installs the engine only when the image lacks it and never fails a guest without apt", () => {
    const script = Engine.provisionScript("moby")
    assert.match(script, /if ! command -v dockerd/)
    assert.match(script, /no apt-get[^\n]*\n\s*exit 0/)
  })
})

describe("AppStatus.vmCurrent", () => {
  const vm = (generation: number, observedGeneration: number | undefined, running: boolean, cond?: Condition) =>
    LimaVm.fromObject({
      apiVersion: LimaVm.ApiVersion,
      kind: LimaVm.Kind,
      metadata: { name: "rd", namespace: "default", generation },
      spec: { templateRef: { name: "rd" }, running },
      status: { ...(observedGeneration === undefined ? {} : { observedGeneration }), conditions: cond === undefined ? [] : [cond] }
    })
  it("trusts a LimaVM that observed its spec, or whose Running already is what the spec asks", () => {
    assert.isTrue(AppStatus.vmCurrent(undefined))
    assert.isTrue(AppStatus.vmCurrent(vm(3, 3, true)))
    assert.isTrue(AppStatus.vmCurrent(vm(3, undefined, true)))
    assert.isFalse(AppStatus.vmCurrent(vm(3, 2, true, cond("Running", "False", "Stopped"))))
    assert.isTrue(AppStatus.vmCurrent(vm(3, 2, false, cond("Running", "False", "Stopped"))))
    assert.isTrue(AppStatus.vmCurrent(vm(3, 2, true, cond("Running", "True", "Started"))))
    assert.isFalse(AppStatus.vmCurrent(vm(3, 2, false, cond("Running", "True", "Started"))))
  })
})
