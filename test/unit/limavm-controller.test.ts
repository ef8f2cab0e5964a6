/**
 * The LimaVM controller against the real API engine (test/support/engine.ts) and the fake
 * VM driver, on the TestClock: every condition transition of SPEC 4.4, the
 * capped exponential backoff, adoption without reboot, deletion through the
 * finalizer, the shutdown drain, and "a slow stop of one VM does not delay
 * another's start".
 */
import { assert, describe, it } from "@effect/vitest"
import { Duration, Effect, Option, TestClock } from "effect"
import * as Admission from "../../src/controlplane/controllers/limavm/Admission.js"
import * as Controller from "../../src/controlplane/controllers/limavm/Controller.js"
import type * as Workers from "../../src/controlplane/controllers/limavm/Workers.js"
import { Core, type KubeObject } from "../../src/domain/KubeObject.js"
import * as LimaVm from "../../src/domain/LimaVm.js"
import * as FakeVmDriver from "../fakes/FakeVmDriver.js"
import * as Engine from "../support/engine.js"

const Template = "images:\n- location: /var/lib/rdd/disk.img\n"

const setup = (options: { readonly backoff?: Workers.BackoffPolicy } = {}) =>
  Effect.gen(function*() {
    const kube = yield* Engine.make()
    const fake = yield* FakeVmDriver.make
    kube.admit(...Admission.plugins({ kube: kube.client, hostArch: "x86_64" }))
    const controller = yield* Controller.start(
      { kube: kube.client, driver: fake.driver, hostArch: "x86_64" },
      options.backoff ?? { initial: Duration.seconds(1), max: Duration.seconds(30) }
    )
    const source = (namespace: string, name: string, text = Template) =>
      Effect.zipRight(kube.namespace(namespace), kube.client.create(Core.configmaps, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, namespace },
        data: { template: text }
      }))
    const create = (namespace: string, name: string, running: boolean, template = "tpl") =>
      kube.client.create(LimaVm.LimaVmType, LimaVm.make(namespace, name, { name: template }, running))
    const vm = (namespace: string, name: string) =>
      Option.map(Option.fromNullable(kube.find(LimaVm.LimaVmType, namespace, name)), LimaVm.fromObject)
    const running = (namespace: string, name: string) =>
      Option.flatMap(vm(namespace, name), (v) => Option.fromNullable(LimaVm.condition(v, "Running")))
    const setRunning = (namespace: string, name: string, value: boolean) =>
      kube.client.patch(LimaVm.refOf(namespace, name), { spec: { running: value } }, "merge")
    return { kube, fake, controller, source, create, vm, running, setRunning }
  })

/** Lets the controller's fibers run (no time passes) until `check` holds. */
const until = (what: string, check: () => boolean, steps = 2000): Effect.Effect<void> =>
  Effect.gen(function*() {
    for (let i = 0; i < steps; i++) {
      if (check()) return
      yield* Effect.yieldNow()
    }
    assert.fail(`never happened: ${what}`)
  })

const reasonOf = (o: Option.Option<{ readonly reason?: string; readonly status: string }>) =>
  Option.match(o, { onNone: () => "none", onSome: (c) => `${c.status}/${c.reason}` })

describe("LimaVM controller", () => {
  it.scoped("create (running=false): Pending -> Created -> Running False/Stopped; copy owned, labelled, finalized", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      const created = yield* t.create("default", "vm1", false)
      assert.deepStrictEqual(created.metadata.finalizers, [LimaVm.CleanupFinalizer])
      yield* until("Stopped", () => reasonOf(t.running("default", "vm1")) === "False/Stopped")
      const vm = Option.getOrThrow(t.vm("default", "vm1"))
      assert.strictEqual(LimaVm.condition(vm, "Created")?.reason, "Created")
      assert.strictEqual(vm.status.templateConfigMap, "vm1-template")
      assert.strictEqual(vm.status.restartCount, 0)
      const copy = t.kube.find(Core.configmaps, "default", "vm1-template")!
      assert.strictEqual(copy.metadata.labels?.[LimaVm.TemplateCopyLabel], "true")
      assert.deepStrictEqual(copy.metadata.finalizers, [LimaVm.OwnedByFinalizer])
      assert.strictEqual(copy.metadata.ownerReferences?.[0]?.uid, vm.uid)
      assert.strictEqual(vm.status.observedTemplateResourceVersion, copy.metadata.resourceVersion)
      assert.strictEqual(t.fake.vms.get("vm1")?.templateText, Template)
      const events = t.kube.all(Core.events).map((e) => e["message"])
      assert.include(events, "Created=True (Created): Lima instance created successfully")
    }))

  it.scoped("start: Starting until the guest signals boot, then True/Started with restartCount 1", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      t.fake.script("vm1", { bootDelay: "5 seconds" })
      yield* t.source("default", "tpl")
      yield* t.create("default", "vm1", true)
      yield* until("Starting", () => reasonOf(t.running("default", "vm1")) === "False/Starting")
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual(reasonOf(t.running("default", "vm1")), "False/Starting")
      yield* TestClock.adjust("1 second")
      yield* until("Started", () => reasonOf(t.running("default", "vm1")) === "True/Started")
      assert.strictEqual(Option.getOrThrow(t.vm("default", "vm1")).status.restartCount, 1)
      assert.deepStrictEqual(t.fake.calls.filter((c) => c.startsWith("start")), ["start vm1"])
    }))

  it.scoped("stop -> False/Stopped; start again -> restartCount 2; restart annotation -> 3, annotation and restartNeeded cleared", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      yield* t.create("default", "vm1", true)
      yield* until("Started", () => reasonOf(t.running("default", "vm1")) === "True/Started")
      yield* t.setRunning("default", "vm1", false)
      yield* until("Stopped", () => reasonOf(t.running("default", "vm1")) === "False/Stopped")
      assert.strictEqual(Option.getOrThrow(t.running("default", "vm1")).message, LimaVm.Messages.stoppedOk)
      assert.isUndefined(t.fake.vms.get("vm1")?.pid)
      yield* t.setRunning("default", "vm1", true)
      yield* until("Started again", () => Option.getOrThrow(t.vm("default", "vm1")).status.restartCount === 2)
      const bootsBefore = t.fake.vms.get("vm1")!.boots
      yield* t.kube.client.patch(
        LimaVm.refOf("default", "vm1"),
        { metadata: { annotations: { [LimaVm.RestartRequestedAnnotation]: "2026-11-26T10:00:00Z" } } },
        "merge"
      )
      yield* until("restarted", () => Option.getOrThrow(t.vm("default", "vm1")).status.restartCount === 3)
      const vm = Option.getOrThrow(t.vm("default", "vm1"))
      assert.isUndefined(vm.annotations[LimaVm.RestartRequestedAnnotation])
      assert.isFalse(vm.status.restartNeeded)
      assert.strictEqual(t.fake.vms.get("vm1")!.boots, bootsBefore + 1)
      assert.strictEqual(reasonOf(t.running("default", "vm1")), "True/Started")
    }))

  it.scoped("delete: VM stopped and removed, template copy, owned ConfigMaps and name claim gone, then the object", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      const src = yield* t.source("default", "vm1")
      yield* t.create("default", "vm1", true, "vm1")
      yield* until("Started", () => reasonOf(t.running("default", "vm1")) === "True/Started")
      const uid = Option.getOrThrow(t.vm("default", "vm1")).uid
      // the CLI's ownership transfer of a file template
      yield* t.kube.client.patch({ type: Core.configmaps, namespace: "default", name: src.metadata.name! }, {
        metadata: { ownerReferences: [{ apiVersion: LimaVm.ApiVersion, kind: LimaVm.Kind, name: "vm1", uid, controller: true }] }
      }, "merge")
      assert.isDefined(t.kube.find(Core.configmaps, LimaVm.ClaimNamespace, LimaVm.claimName("vm1")))
      yield* t.kube.client.delete(LimaVm.refOf("default", "vm1"))
      yield* until("gone", () => Option.isNone(t.vm("default", "vm1")))
      assert.isFalse(t.fake.vms.has("vm1"))
      assert.isUndefined(t.kube.find(Core.configmaps, "default", "vm1-template"))
      assert.isUndefined(t.kube.find(Core.configmaps, "default", "vm1"))
      assert.isUndefined(t.kube.find(Core.configmaps, LimaVm.ClaimNamespace, LimaVm.claimName("vm1")))
      assert.includeMembers(t.fake.calls, ["stop vm1", "delete vm1"])
    }))

  it.scoped("CreateFailed: Created=False/CreateFailed, no Running condition, retried with capped exponential backoff", () =>
    Effect.gen(function*() {
      const t = yield* setup({ backoff: { initial: Duration.seconds(1), max: Duration.seconds(8) } })
      t.fake.script("vm1", { createFails: "cannot create disk: no space" })
      yield* t.source("default", "tpl")
      yield* t.create("default", "vm1", true)
      const creates = () => t.fake.calls.filter((c) => c === "create vm1").length
      yield* until("first attempt", () =>
        creates() === 1 && Option.exists(t.vm("default", "vm1"), (v) => LimaVm.condition(v, "Created")?.reason === "CreateFailed"))
      const vm = Option.getOrThrow(t.vm("default", "vm1"))
      assert.strictEqual(LimaVm.condition(vm, "Created")?.reason, "CreateFailed")
      assert.strictEqual(LimaVm.condition(vm, "Created")?.message, "cannot create disk: no space")
      assert.isUndefined(LimaVm.condition(vm, "Running"))
      // attempts at 0, 1, 3, 7, 15, 23, 31 (delays 1, 2, 4, 8, 8, 8)
      const seen: Array<number> = []
      for (let s = 1; s <= 31; s++) {
        yield* TestClock.adjust("1 second")
        yield* until("settled", () => true)
        for (let i = 0; i < 50; i++) yield* Effect.yieldNow()
        seen.push(creates())
      }
      const attemptsAt = seen.flatMap((n, i) => (i === 0 ? (n > 1 ? [1] : []) : n > seen[i - 1]! ? [i + 1] : []))
      assert.deepStrictEqual(attemptsAt, [1, 3, 7, 15, 23, 31])
      const writes = t.kube.writes()
      t.fake.clearScript("vm1")
      yield* TestClock.adjust("8 seconds")
      yield* until("recovered", () => reasonOf(t.running("default", "vm1")) === "True/Started")
      assert.isAbove(t.kube.writes(), writes)
    }))

  it.scoped("StartFailed at once when the driver cannot start; a guest that dies while booting is StartFailed too", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      t.fake.script("vm1", { startFails: "kernel file /nope/vmlinuz does not exist" })
      t.fake.script("vm2", { crashDuringBoot: "2 seconds" })
      yield* t.source("default", "tpl")
      yield* t.create("default", "vm1", true)
      yield* t.create("default", "vm2", true)
      yield* until("vm1 StartFailed", () => reasonOf(t.running("default", "vm1")) === "False/StartFailed")
      assert.strictEqual(Option.getOrThrow(t.running("default", "vm1")).message, "kernel file /nope/vmlinuz does not exist")
      yield* until("vm2 Starting", () => reasonOf(t.running("default", "vm2")) === "False/Starting")
      yield* TestClock.adjust("2 seconds")
      yield* until("vm2 StartFailed", () => reasonOf(t.running("default", "vm2")) === "False/StartFailed")
      assert.match(Option.getOrThrow(t.running("default", "vm2")).message ?? "", /before its guest signalled boot/)
      // stopping a failed VM settles it as Stopped
      yield* t.setRunning("default", "vm1", false)
      yield* until("vm1 Stopped", () => reasonOf(t.running("default", "vm1")) === "False/Stopped")
    }))

  it.scoped("a spec change that needs no action still advances observedGeneration (waits never hang on it)", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      yield* t.create("default", "vm1", false)
      yield* until("Stopped", () => reasonOf(t.running("default", "vm1")) === "False/Stopped")
      // on then off again before the controller acts on it
      yield* t.setRunning("default", "vm1", true)
      const off = LimaVm.fromObject(yield* t.setRunning("default", "vm1", false))
      yield* until("observed", () => (Option.getOrThrow(t.vm("default", "vm1")).status.observedGeneration ?? 0) >= off.generation)
      assert.strictEqual(reasonOf(t.running("default", "vm1")), "False/Stopped")
    }))

  it.scoped("StopFailed: the VM keeps running, the condition says why, the stop is retried", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      yield* t.create("default", "vm1", true)
      yield* until("Started", () => reasonOf(t.running("default", "vm1")) === "True/Started")
      t.fake.script("vm1", { stopFails: "instance still running after stop attempt" })
      yield* t.setRunning("default", "vm1", false)
      yield* until("StopFailed", () => reasonOf(t.running("default", "vm1")) === "False/StopFailed")
      t.fake.clearScript("vm1")
      yield* TestClock.adjust("1 second")
      yield* until("Stopped", () => reasonOf(t.running("default", "vm1")) === "False/Stopped")
    }))

  it.scoped("editing the template copy of a running VM restarts it with the new template (restartCount +1)", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      yield* t.create("default", "vm1", true)
      yield* until("Started", () => reasonOf(t.running("default", "vm1")) === "True/Started")
      const text = "images:\n- location: /new.img\ncpus: 2\n"
      const edited = yield* t.kube.client.patch({ type: Core.configmaps, namespace: "default", name: "vm1-template" }, { data: { template: text } }, "merge")
      yield* until("restarted", () => Option.getOrThrow(t.vm("default", "vm1")).status.restartCount === 2)
      const vm = Option.getOrThrow(t.vm("default", "vm1"))
      assert.strictEqual(t.fake.vms.get("vm1")?.templateText, text)
      assert.strictEqual(t.fake.vms.get("vm1")?.boots, 2)
      assert.strictEqual(vm.status.observedTemplateResourceVersion, edited.metadata.resourceVersion)
      assert.isFalse(vm.status.restartNeeded)
      assert.strictEqual(reasonOf(t.running("default", "vm1")), "True/Started")
    }))

  it.scoped("a slow stop of one VM does not delay another VM's start", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      yield* t.create("default", "slow", true)
      yield* until("slow Started", () => reasonOf(t.running("default", "slow")) === "True/Started")
      t.fake.script("slow", { stopDelay: "60 seconds" })
      yield* t.setRunning("default", "slow", false)
      yield* until("slow stop begun", () => t.fake.calls.includes("stop slow"))
      yield* t.create("default", "fast", true)
      // no time passes: fast boots while slow's stop is still in progress
      yield* until("fast Started", () => reasonOf(t.running("default", "fast")) === "True/Started")
      assert.notInclude(t.fake.completions, "stop slow done")
      yield* TestClock.adjust("60 seconds")
      yield* until("slow Stopped", () => reasonOf(t.running("default", "slow")) === "False/Stopped")
    }))

  it.scoped("a restarted controller adopts a VM that kept running: no new start, restartCount unchanged", () =>
    Effect.gen(function*() {
      const kube = yield* Engine.make()
      const fake = yield* FakeVmDriver.make
      const deps = { kube: kube.client, driver: fake.driver, hostArch: "x86_64" as const }
      yield* kube.client.create(Core.configmaps, { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "tpl", namespace: "default" }, data: { template: Template } })
      yield* kube.client.create(LimaVm.LimaVmType, LimaVm.make("default", "vm1", { name: "tpl" }, true))
      const first = yield* Effect.scoped(Effect.gen(function*() {
        yield* Controller.start(deps)
        yield* until("Started", () => {
          const o = kube.find(LimaVm.LimaVmType, "default", "vm1")
          return o !== undefined && LimaVm.condition(LimaVm.fromObject(o), "Running")?.reason === "Started"
        })
        return fake.vms.get("vm1")!.pid
      }))
      // the first controller's scope is gone (daemon killed); the VM kept running
      const startsBefore = fake.calls.filter((c) => c === "start vm1").length
      yield* Controller.start(deps)
      yield* until("adopted", () => fake.calls.includes("adopt vm1") && fake.calls.lastIndexOf("adopt vm1") > 0)
      for (let i = 0; i < 200; i++) yield* Effect.yieldNow()
      const vm = LimaVm.fromObject(kube.find(LimaVm.LimaVmType, "default", "vm1")!)
      assert.strictEqual(fake.vms.get("vm1")!.pid, first)
      assert.strictEqual(fake.calls.filter((c) => c === "start vm1").length, startsBefore)
      assert.strictEqual(vm.status.restartCount, 1)
      assert.strictEqual(LimaVm.condition(vm, "Running")?.reason, "Started")
    }))

  it.scoped("the VM's process exits unexpectedly: restarted (after backoff), restartCount +1", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      yield* t.create("default", "vm1", true)
      yield* until("Started", () => reasonOf(t.running("default", "vm1")) === "True/Started")
      yield* t.fake.crash("vm1")
      yield* until("noticed", () => reasonOf(t.running("default", "vm1")) === "False/Stopped")
      yield* TestClock.adjust("1 second")
      yield* until("restarted", () => Option.getOrThrow(t.vm("default", "vm1")).status.restartCount === 2)
    }))

  it.scoped("shutdown drain stops every running VM in parallel and records them Stopped", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      yield* t.create("default", "a", true)
      yield* t.create("default", "b", true)
      yield* until("both Started", () => reasonOf(t.running("default", "a")) === "True/Started" && reasonOf(t.running("default", "b")) === "True/Started")
      t.fake.script("a", { stopDelay: "10 seconds" })
      t.fake.script("b", { stopDelay: "10 seconds" })
      const drained = yield* Effect.fork(t.controller.drain)
      yield* until("both stopping", () => t.fake.calls.includes("stop a") && t.fake.calls.includes("stop b"))
      yield* TestClock.adjust("10 seconds")
      yield* drained.await
      assert.isUndefined(t.fake.vms.get("a")!.pid)
      assert.isUndefined(t.fake.vms.get("b")!.pid)
      assert.strictEqual(Option.getOrThrow(t.running("default", "a")).message, Controller.ShutdownMessage)
      // spec.running is left alone: the next daemon starts them again
      assert.isTrue(Option.getOrThrow(t.vm("default", "a")).spec.running)
    }))
})

describe("LimaVM admission", () => {
  const rejected = <A, E extends { readonly _tag: string; readonly message: string }>(e: Effect.Effect<A, E>) =>
    Effect.map(Effect.flip(e), (err) => {
      assert.strictEqual(err._tag, "Rejected")
      return err.message
    })

  it.scoped("a name used in another namespace is rejected; the same name is free again after deletion", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      yield* t.source("other", "tpl")
      yield* t.create("default", "vm1", false)
      const msg = yield* rejected(t.create("other", "vm1", false))
      assert.include(msg, `LimaVM name "vm1" is already used in namespace "default"; LimaVM names must be unique across all namespaces`)
      const same = yield* rejected(t.create("default", "vm1", false))
      assert.include(same, `already used in namespace "default"`)
      yield* t.kube.client.delete(LimaVm.refOf("default", "vm1"))
      yield* until("gone", () => Option.isNone(t.vm("default", "vm1")))
      yield* t.create("other", "vm1", false)
    }))

  it.scoped("same-name VMs stored without admission (controller off at the time): the second one is CreateFailed, never a shared VM", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      t.kube.dropAdmission()
      yield* t.source("a", "tpl")
      yield* t.source("b", "tpl")
      yield* t.create("a", "twin", false)
      yield* until("a created", () => LimaVm.condition(Option.getOrThrow(t.vm("a", "twin")), "Created")?.reason === "Created")
      yield* t.create("b", "twin", false)
      yield* until("b refused", () => LimaVm.condition(Option.getOrThrow(t.vm("b", "twin")), "Created")?.reason === "CreateFailed")
      assert.include(LimaVm.condition(Option.getOrThrow(t.vm("b", "twin")), "Created")?.message ?? "", `already used in namespace "a"`)
      assert.strictEqual(t.fake.calls.filter((c) => c === "create twin").length, 1)
    }))

  it.scoped("concurrent creates of one name in two namespaces: exactly one wins", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("a", "tpl")
      yield* t.source("b", "tpl")
      const results = yield* Effect.all([Effect.either(t.create("a", "dup", false)), Effect.either(t.create("b", "dup", false))], {
        concurrency: "unbounded"
      })
      assert.strictEqual(results.filter((r) => r._tag === "Right").length, 1)
    }))

  it.scoped("invalid templates, a missing source, a taken copy name and bad VM names are rejected with the reference's messages", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "bad", "arch: cray-1\nimages:\n- location: /x\n")
      yield* t.source("default", "empty", " ")
      assert.include(yield* rejected(t.create("default", "v1", false, "bad")), "failed to validate template: field `arch` must be one of")
      assert.include(yield* rejected(t.create("default", "v1", false, "empty")), `"template" data cannot be empty`)
      assert.include(yield* rejected(t.create("default", "v1", false, "missing")), `configmaps "missing" not found`)
      yield* t.source("default", "v2-template")
      assert.include(yield* rejected(t.create("default", "v2", false, "v2-template")), `configmaps "v2-template" already exists`)
      assert.include(yield* rejected(t.create("default", "Bad_Name", false)), `LimaVM name "Bad_Name" is not a valid VM name`)
      assert.strictEqual(t.kube.all(LimaVm.LimaVmType).length, 0)
    }))

  it.scoped("templateRef is immutable; the owned template copy cannot be deleted or unlabelled; an invalid edit of the copy is rejected", () =>
    Effect.gen(function*() {
      const t = yield* setup()
      yield* t.source("default", "tpl")
      yield* t.source("default", "tpl2")
      yield* t.create("default", "vm1", false)
      yield* until("copy", () => t.kube.find(Core.configmaps, "default", "vm1-template") !== undefined)
      assert.include(
        yield* rejected(t.kube.client.patch(LimaVm.refOf("default", "vm1"), { spec: { templateRef: { name: "tpl2" } } }, "merge")),
        "templateRef is immutable"
      )
      const copyRef = { type: Core.configmaps, namespace: "default", name: "vm1-template" }
      assert.include(yield* rejected(t.kube.client.delete(copyRef)), `cannot delete "vm1-template": owned by LimaVM; delete the LimaVM resource instead`)
      assert.include(
        yield* rejected(t.kube.client.patch(copyRef, { metadata: { labels: { [LimaVm.TemplateCopyLabel]: null } } }, "merge")),
        "cannot remove lima.rancherdesktop.io/template-configmap label: resource is owned"
      )
      assert.include(yield* rejected(t.kube.client.patch(copyRef, { data: { template: "arch: cray-1\n" } }, "merge")), "failed to validate template")
      const edited: KubeObject = yield* t.kube.client.patch(copyRef, { data: { template: "images:\n- location: /other.img\n" } }, "merge")
      yield* until("template rewritten", () => t.fake.vms.get("vm1")?.templateText === "images:\n- location: /other.img\n")
      yield* until("observed", () => Option.getOrThrow(t.vm("default", "vm1")).status.observedTemplateResourceVersion === edited.metadata.resourceVersion)
    }))
})
