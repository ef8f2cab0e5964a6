/**
 * Port conflicts (SPEC 2.7, 6; reference §6, 10.4): when the desired port is
 * taken, the daemon listens on a free one and says so; the kubeconfig, `svc
 * status` and readiness all follow it. Works for the instance's default port and
 * for an explicit `--secure-port`.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import * as net from "node:net"
import { type Instance, makeInstance } from "./support/Instance.js"

let inst: Instance | undefined
let blocker: net.Server | undefined
afterEach(async () => {
  await inst?.dispose()
  inst = undefined
  await new Promise<void>((r) => (blocker === undefined ? r() : blocker.close(() => r())))
  blocker = undefined
}, 60_000)

/** Holds a port on 127.0.0.1 (any free one when 0); resolves with the port. */
const occupy = (port: number) =>
  new Promise<number>((resolve, reject) => {
    const s = net.createServer((c) => c.destroy())
    s.once("error", reject)
    s.listen(port, "127.0.0.1", () => {
      blocker = s
      resolve((s.address() as net.AddressInfo).port)
    })
  })

const expectFollows = async (i: Instance, taken: number) => {
  const k = i.kubeconfig()
  expect(k.port).not.toBe(taken)
  expect(k.server).toBe(`https://127.0.0.1:${k.port}`)
  expect((await i.request("/readyz", { authorization: null })).status).toBe(200)
  expect((await i.request("/api/v1/namespaces")).status).toBe(200)
  const status = JSON.parse((await i.rdd("svc", "status", "-o", "json")).stdout) as { apiServer: string }
  expect(status.apiServer).toBe(`https://127.0.0.1:${k.port}`)
  const log = await i.rdd("svc", "log")
  expect(log.stdout).toContain(String(k.port))
}

describe("the desired port is taken", () => {
  it("the instance's default port (6443 + index): fallback port, kubeconfig and readiness follow", async () => {
    // instance "42": index 42, default port 6485
    inst = await makeInstance("42")
    const taken = await occupy(6443 + 42).catch(() => undefined)
    if (taken === undefined) throw new Error("port 6485 is in use by something else on this machine")
    await inst.start()
    await expectFollows(inst, taken)
  }, 120_000)

  it("an explicit --secure-port: the same", async () => {
    inst = await makeInstance("port-explicit")
    const taken = await occupy(0)
    await inst.start(`--secure-port=${taken}`)
    await expectFollows(inst, taken)
  }, 120_000)

  it("a restart after the port was freed works either way, and the kubeconfig is rewritten", async () => {
    inst = await makeInstance("port-freed")
    const taken = await occupy(0)
    await inst.start(`--secure-port=${taken}`)
    const first = inst.kubeconfig()
    expect((await inst.rdd("svc", "stop")).code).toBe(0)
    await new Promise<void>((r) => blocker!.close(() => r()))
    blocker = undefined
    await inst.start(`--secure-port=${taken}`)
    const second = inst.kubeconfig()
    expect(second.adminToken).not.toBe(first.adminToken)
    expect((await inst.request("/api/v1/namespaces")).status).toBe(200)
  }, 120_000)
})
