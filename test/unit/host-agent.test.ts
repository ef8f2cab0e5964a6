/** The host agent's readiness and forwarding decisions, against a scripted guest (no SSH, no QEMU). */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import * as SubscriptionRef from "effect/SubscriptionRef"
import * as LimaTemplate from "../../src/domain/LimaTemplate.js"
import * as HostAgent from "../../src/layers/qemu/HostAgent.js"

const guestOf = (yaml: string) => {
  const t = LimaTemplate.parse(`images:\n- location: /x\n${yaml}`)
  if (Either.isLeft(t)) throw new Error(t.left.message)
  return t.right.guest
}

/** A guest whose answers the test changes while the agent runs. */
const scriptedGuest = () => {
  const guest = {
    sshUp: false,
    boot: "pending",
    cloudInit: "running" as string | undefined,
    probeOk: false,
    master: false,
    listeners: "",
    calls: [] as Array<string>
  }
  const ssh: HostAgent.SshOps = {
    run: (command, options) => Effect.suspend(() => {
      if (!guest.sshUp) return Effect.fail(new HostAgent.AgentSshError({ message: "connection refused" }))
      if (command === "true") return Effect.succeed({ exitCode: 0, stdout: "", stderr: "" })
      if (command === HostAgent.ReadinessScript) {
        const lines = [`boot: ${guest.boot}`, ...(guest.cloudInit === undefined ? [] : [`cloud-init: ${guest.cloudInit}`])]
        return Effect.succeed({ exitCode: 0, stdout: lines.join("\n") + "\n", stderr: "" })
      }
      if (command.includes("rdd-provision.log")) return Effect.succeed({ exitCode: 0, stdout: "+ false\nexit 1\n", stderr: "" })
      if (options?.stdin !== undefined) {
        guest.calls.push(`probe ${options.stdin}`)
        return Effect.succeed({ exitCode: guest.probeOk ? 0 : 1, stdout: "", stderr: "" })
      }
      if (command.startsWith("cat /proc/net/tcp")) return Effect.succeed({ exitCode: 0, stdout: guest.listeners, stderr: "" })
      return Effect.succeed({ exitCode: 127, stdout: "", stderr: "unexpected" })
    }),
    masterUp: Effect.sync(() => guest.master),
    startMaster: Effect.sync(() => {
      guest.master = true
      guest.calls.push("master")
    }),
    forwardTcp: (h, g) => Effect.sync(() => guest.calls.push(`forward ${h.hostIP}:${h.hostPort} ${g.ip}:${g.port}`)),
    cancelTcp: (h, g) => Effect.sync(() => guest.calls.push(`cancel ${h.hostIP}:${h.hostPort} ${g.ip}:${g.port}`)),
    forwardSocket: (h, g) => Effect.sync(() => guest.calls.push(`socket ${h} ${g}`)),
    mount: (m) => Effect.sync(() => guest.calls.push(`mount ${m.location} ${m.mountPoint} ${m.writable}`))
  }
  return { guest, ssh }
}

const fast = { ssh: "1 millis", boot: "1 millis", probe: "1 millis", ports: "5 millis" } as const

const start = (ssh: HostAgent.SshOps, yaml: string) =>
  Effect.gen(function*() {
    const state = yield* SubscriptionRef.make<HostAgent.AgentState>(HostAgent.AgentState.Waiting({ detail: "" }))
    const log: Array<string> = []
    const fiber = yield* Effect.fork(HostAgent.run(ssh, { guest: guestOf(yaml), home: "/home/me", log: (l) => Effect.sync(() => log.push(l)), intervals: fast }, state))
    /** resolves with the first state matching */
    const until = (pred: (s: HostAgent.AgentState) => boolean) =>
      Stream.runHead(Stream.filter(state.changes, pred)).pipe(Effect.timeout("5 seconds"))
    return { state, fiber, log, until }
  })

const detail = (s: HostAgent.AgentState) => (s._tag === "Waiting" ? s.detail : s._tag)

describe("HostAgent", () => {
  it.live("is ready only after SSH, the boot scripts and cloud-init; then opens the template's forwards", () =>
    Effect.gen(function*() {
      const { guest, ssh } = scriptedGuest()
      const a = yield* start(ssh, `
mounts: [{location: "~/src", writable: true}]
probes: [{description: k3s, script: "test -e /k", hint: "is k3s installed?"}]
portForwards:
- {guestSocket: /var/run/docker.sock, hostSocket: "~/docker.sock"}
- {guestPort: 80, hostPort: 8080}
`)
      yield* a.until((s) => detail(s) === "waiting for SSH")
      guest.sshUp = true
      yield* a.until((s) => detail(s) === "waiting for cloud-init (running)")
      assert.deepStrictEqual(guest.calls, ["master"])
      guest.boot = "ok"
      yield* a.until((s) => detail(s) === "waiting for cloud-init (running)")
      guest.cloudInit = "done"
      yield* a.until((s) => detail(s) === `waiting for probe "k3s": is k3s installed?`)
      assert.include(guest.calls, "mount /home/me/src /home/me/src true")
      guest.probeOk = true
      yield* a.until((s) => s._tag === "Ready")
      assert.includeMembers(guest.calls, ["socket /home/me/docker.sock /var/run/docker.sock", "forward 127.0.0.1:8080 127.0.0.1:80"])
      assert.includeMembers(a.log, ["SSH answers", "boot scripts finished", "ready"])
      yield* Fiber.interrupt(a.fiber)
    }))

  it.live("reports a failed provision script with the log's tail and never becomes ready", () =>
    Effect.gen(function*() {
      const { guest, ssh } = scriptedGuest()
      guest.sshUp = true
      guest.boot = "failed 001-system.sh exit 1"
      guest.cloudInit = undefined
      const a = yield* start(ssh, "")
      const failed = yield* a.until((s) => s._tag === "Failed")
      assert.isTrue(failed._tag === "Some" && failed.value._tag === "Failed")
      const message = failed._tag === "Some" && failed.value._tag === "Failed" ? failed.value.message : ""
      assert.include(message, "provisioning failed: 001-system.sh exit 1")
      assert.include(message, "+ false")
      yield* Fiber.interrupt(a.fiber)
    }))

  it.live("treats cloud-init's error as a failure", () =>
    Effect.gen(function*() {
      const { guest, ssh } = scriptedGuest()
      guest.sshUp = true
      guest.boot = "ok"
      guest.cloudInit = "error"
      const a = yield* start(ssh, "")
      const failed = yield* a.until((s) => s._tag === "Failed")
      assert.strictEqual(failed._tag, "Some")
      yield* Fiber.interrupt(a.fiber)
    }))

  it.live("follows guest listeners: forwards new ones by the rules, cancels those that went away, fails when the master dies", () =>
    Effect.gen(function*() {
      const { guest, ssh } = scriptedGuest()
      guest.sshUp = true
      guest.boot = "ok"
      guest.cloudInit = undefined
      const header = "  sl  local_address rem_address   st\n"
      guest.listeners = header + "   0: 00000000:0016 00000000:0000 0A\n   1: 00000000:1F90 00000000:0000 0A\n"
      const a = yield* start(ssh, "portForwards: [{guestPort: 8443, ignore: true}]")
      yield* a.until((s) => s._tag === "Ready")
      const seen = () => guest.calls.filter((c) => c.startsWith("forward") || c.startsWith("cancel"))
      yield* Effect.repeat(Effect.sync(seen), { until: (c) => c.length >= 1, schedule: Schedule.spaced("2 millis") }).pipe(Effect.timeout("5 seconds"))
      assert.deepStrictEqual(seen(), ["forward 127.0.0.1:8080 127.0.0.1:8080"]) // never port 22
      guest.listeners = header + "   0: 0100007F:20FB 00000000:0000 0A\n" // 8443, ignored
      yield* Effect.repeat(Effect.sync(seen), { until: (c) => c.length >= 2, schedule: Schedule.spaced("2 millis") }).pipe(Effect.timeout("5 seconds"))
      assert.deepStrictEqual(seen(), ["forward 127.0.0.1:8080 127.0.0.1:8080", "cancel 127.0.0.1:8080 127.0.0.1:8080"])
      guest.master = false
      const exit = yield* Fiber.await(a.fiber).pipe(Effect.timeout("5 seconds"))
      assert.strictEqual(exit._tag, "Failure")
    }))
})
