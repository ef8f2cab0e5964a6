/** The App controller's host side: the base template the App's annotation names, the params, the k3s port; and set's help detection. */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import * as net from "node:net"
import * as path from "node:path"
import * as Host from "../../src/controlplane/controllers/app/Host.js"
import { wantsSetHelp } from "../../src/commands/set.js"
import * as VmTemplate from "../../src/domain/app/VmTemplate.js"

const daemon = {
  instance: "rancher-desktop-apphost",
  startId: "s",
  paths: { lima_home: "/h/.rdx/lima", dir: "/h/.local/share/rancher-desktop-x", tls_dir: "/t", short_dir: "/h/.rdx", k3s_config: "/h/.local/share/rancher-desktop-x/k3s.yaml" }
}

describe("Host", () => {
  it.effect("reads the template the App's annotation names at each pass, and says which file it cannot read", () =>
    Effect.gen(function*() {
      const dir = mkdtempSync(path.join(tmpdir(), "rdd-apphost-"))
      try {
        const file = path.join(dir, "t.yaml")
        writeFileSync(file, "images: []\n")
        const host = Host.make(daemon)
        assert.strictEqual(yield* host.baseTemplate(file), "images: []\n")
        writeFileSync(file, "cpus: 3\n")
        assert.strictEqual(yield* host.baseTemplate(file), "cpus: 3\n")
        const missing = yield* Effect.either(host.baseTemplate(path.join(dir, "nope.yaml")))
        assert.isTrue(Either.isLeft(missing))
        assert.match(Either.isLeft(missing) ? missing.left.message : "", /nope\.yaml.*annotation app\.rancherdesktop\.io\/vm-template/)
      } finally {
        rmSync(dir, { recursive: true, force: true })
      }
    }))

  it.effect("falls back to the built-in template, and fills the params from the instance's paths", () =>
    Effect.gen(function*() {
      const host = Host.make(daemon)
      assert.strictEqual(yield* host.baseTemplate(undefined), VmTemplate.defaultBase)
      const p = host.params(7000)
      assert.strictEqual(p.dockerSocket, "/h/.rdx/docker.sock")
      assert.strictEqual(p.instanceConfigDir, daemon.paths.dir)
      assert.strictEqual(p.kubernetesPort, 7000)
    }))

  it.effect("picks a loopback port for k3s", () =>
    Effect.gen(function*() {
      const port = yield* Host.make(daemon).pickKubernetesPort
      assert.isTrue(Number.isInteger(port) && port > 0 && port < 65536)
    }))
})

describe("wantsSetHelp", () => {
  it("recognises set's help on the command line (global flags already removed)", () => {
    assert.isTrue(wantsSetHelp(["set", "--help"]))
    assert.isTrue(wantsSetHelp(["set", "running=true", "-h"]))
    assert.isFalse(wantsSetHelp(["set", "running=true"]))
    assert.isFalse(wantsSetHelp(["svc", "set", "--help"]))
    assert.isFalse(wantsSetHelp(["--help"]))
  })
})

describe("pickPort (k3s host port: 7441 + index, else any free port)", () => {
  const listening = (port: number) =>
    Effect.async<net.Server, Error>((resume) => {
      const s = net.createServer()
      s.once("error", (e) => resume(Effect.fail(e)))
      s.listen({ host: "127.0.0.1", port, exclusive: true }, () => resume(Effect.succeed(s)))
    })
  const close = (s: net.Server) => Effect.async<void>((resume) => void s.close(() => resume(Effect.void)))
  const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port

  it.effect("takes the preferred port when it is free", () =>
    Effect.gen(function*() {
      // a port that was free a moment ago (the OS's pick); held by nobody now
      const probe = yield* listening(0)
      const free = portOf(probe)
      yield* close(probe)
      assert.strictEqual(yield* Host.pickPort(free), free)
    }))

  it.effect("falls back to another free port when the preferred one is taken", () =>
    Effect.gen(function*() {
      const taken = yield* listening(0)
      try {
        const picked = yield* Host.pickPort(portOf(taken))
        assert.notStrictEqual(picked, portOf(taken))
        // the fallback really is free: it can be bound
        yield* close(yield* listening(picked))
      } finally {
        yield* close(taken)
      }
    }))

  it.effect("prefers 7441 + the instance index (suffix 57 → 7498)", () =>
    Effect.gen(function*() {
      const d = { ...daemon, instance: "rancher-desktop-57" }
      const held = yield* Effect.either(listening(7498))
      // whoever holds 7498 (this test or another process), the pick is never a taken port
      const picked = yield* Host.make(d).pickKubernetesPort
      if (held._tag === "Right") {
        assert.notStrictEqual(picked, 7498)
        yield* close(held.right)
        assert.strictEqual(yield* Host.make(d).pickKubernetesPort, 7498)
      }
    }))
})
