/**
 * The API's create runs eagerly (Eager.ts): with the daemon's admission plugins
 * for ConfigMaps registered, a plain ConfigMap create is committed during the
 * call and its result is an Exit, which the HTTP handler answers without a
 * fiber. A step that suspends (a plugin calling out, the write lock held) still
 * works, through Effect. This fails if a lazy step creeps back into the path
 * (the LimaVM template-copy validator written with Effect.gen did).
 */
import { describe, expect, it } from "@effect/vitest"
import { Deferred, Effect, Exit, Fiber } from "effect"
import * as LimaAdmission from "../../src/controlplane/controllers/limavm/Admission.js"
import { Core, type KubeObject } from "../../src/domain/KubeObject.js"
import * as Engine from "../support/engine.js"

const configMap = (name: string): KubeObject => ({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { k: "v" } } as KubeObject)

describe("eager create", () => {
  it.scoped("a ConfigMap create is committed during the call, with the daemon's ConfigMap admission registered", () =>
    Effect.gen(function*() {
      const kube = yield* Engine.make()
      kube.admit(...LimaAdmission.plugins({ kube: kube.client, hostArch: "x86_64" }))
      const info = kube.api.registry.find("", "v1", "configmaps")!
      const result = kube.api.create(info, "default", configMap("now"), { user: "system-admin" })
      expect(Exit.isExit(result) && Exit.isSuccess(result)).toBe(true)
      expect(kube.find(Core.configmaps, "default", "now")?.metadata.uid).toBeDefined()
      // a refused create still fails with the API's error, through Effect
      const again = yield* Effect.exit(kube.api.create(info, "default", configMap("now"), { user: "system-admin" }))
      expect(Exit.isFailure(again) && JSON.stringify(again.cause)).toContain("AlreadyExists")
    }))

  it.scoped("a create that meets a held write lock waits for it, then commits", () =>
    Effect.gen(function*() {
      const kube = yield* Engine.make()
      const info = kube.api.registry.find("", "v1", "configmaps")!
      const gate = yield* Deferred.make<void>()
      const holder = yield* Effect.fork(kube.store.withWriteLock(Deferred.await(gate)))
      yield* Effect.yieldNow()
      const pending = kube.api.create(info, "default", configMap("waits"), { user: "system-admin" })
      expect(Exit.isExit(pending)).toBe(false)
      const writer = yield* Effect.fork(pending)
      yield* Effect.yieldNow()
      expect(kube.find(Core.configmaps, "default", "waits")).toBeUndefined()
      yield* Deferred.succeed(gate, undefined)
      yield* Fiber.join(holder)
      const created = yield* Fiber.join(writer)
      expect(created.metadata.name).toBe("waits")
      expect(kube.find(Core.configmaps, "default", "waits")?.metadata.resourceVersion).toBe(created.metadata.resourceVersion)
    }))
})
