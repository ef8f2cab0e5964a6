/**
 * Disk trouble (issue 7 part 3): a read-only service dir and a full disk give a
 * clear error, never a stack trace or a hang, and never damage what was stored.
 * The service dir is a small tmpfs mounted for the test (root only, as in CI);
 * read-only is a remount with `ro`, which even root cannot write through, and
 * "full" is the tmpfs size limit (ENOSPC), not a file-size rlimit, whose SIGXFSZ
 * would kill the daemon instead of letting it report the error. Where mounting is
 * impossible (not root, no CAP_SYS_ADMIN) the tests are skipped and say why.
 */
import { afterEach, describe, expect, it } from "@effect/vitest"
import { execFileSync, spawnSync } from "node:child_process"
import { mkdirSync, rmSync } from "node:fs"
import * as path from "node:path"
import { tempHome } from "../support/rdd.js"
import { awaitExit, type Instance, makeInstance } from "./support/Instance.js"
import { integrity } from "./support/Integrity.js"

const canMount = (() => {
  if (process.getuid?.() !== 0) return false
  const probe = tempHome("rdd-mount-probe-")
  try {
    const r = spawnSync("mount", ["-t", "tmpfs", "-o", "size=64k", "tmpfs", probe.home])
    if (r.status !== 0) return false
    spawnSync("umount", [probe.home])
    return true
  } finally {
    probe.cleanup()
  }
})()

let fullRefusal = ""
let inst: Instance | undefined
let mountpoint: string | undefined
afterEach(async () => {
  await inst?.dispose().catch(() => {})
  inst = undefined
  if (mountpoint !== undefined) spawnSync("umount", ["-l", mountpoint])
  mountpoint = undefined
}, 60_000)

/** A fresh instance whose service dir is a tmpfs of the given size. */
const onTmpfs = async (suffix: string, size: string): Promise<Instance> => {
  const home = tempHome(`rdd-disk-${suffix}-`).home
  const dir = path.join(home, ".local", "share", `rancher-desktop-${suffix}`)
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  execFileSync("mount", ["-t", "tmpfs", "-o", `size=${size},mode=0700`, "tmpfs", dir])
  mountpoint = dir
  const i = await makeInstance(suffix, { home })
  const dispose = i.dispose
  inst = { ...i, dispose: async () => {
    await dispose()
    spawnSync("umount", ["-l", dir])
    mountpoint = undefined
    rmSync(home, { recursive: true, force: true })
  } }
  return inst
}

const remount = (dir: string, options: string) => execFileSync("mount", ["-o", `remount,${options}`, dir])

/** One clear line at error or fatal level, no stack trace. */
const expectClearError = (stderr: string) => {
  expect(stderr).toMatch(/level=(error|fatal) msg=/)
  expect(stderr).not.toMatch(/^\s+at /m)
}

const createConfigMap = (i: Instance, name: string, bytes = 16) =>
  i.request("/api/v1/namespaces/rdd-system/configmaps", {
    method: "POST",
    body: JSON.stringify({ apiVersion: "v1", kind: "ConfigMap", metadata: { name }, data: { payload: "x".repeat(bytes) } })
  })

describe.skipIf(!canMount)("disk trouble (tmpfs service dir)", () => {
  it("a read-only service dir: svc start fails fast and clearly; nothing stored is damaged", async () => {
    const i = await onTmpfs("disk-ro", "64m")
    await i.start()
    expect((await createConfigMap(i, "kept")).status).toBe(201)
    const pid = i.pid()!
    expect((await i.rdd("svc", "stop")).code).toBe(0)
    await awaitExit(pid)
    remount(mountpoint!, "ro")

    const started = Date.now()
    const r = await i.rdd("svc", "start", "--timeout=60s")
    expect(r.code, r.stderr).toBe(1)
    expect(Date.now() - started, "failed fast, not at the deadline").toBeLessThan(30_000)
    expectClearError(r.stderr)
    expect(r.stderr).toMatch(/read-only|EROFS|permission|EACCES/i)
    expect(i.daemons()).toEqual([])
    expect((await i.rdd("svc", "status")).code).toBe(0)

    remount(mountpoint!, "rw")
    expect(integrity(i.paths["db"]!)).toBe("ok")
    await i.start()
    expect((await i.request("/api/v1/namespaces/rdd-system/configmaps/kept")).status).toBe(200)
  }, 180_000)

  it("a disk that fills up under writes: the API answers a Status, keeps serving, and loses nothing it acknowledged", async () => {
    const i = await onTmpfs("disk-full", "24m")
    await i.start()
    const acknowledged: Array<string> = []
    let refusal: { status: number; json: unknown } | undefined
    for (let n = 0; n < 400 && refusal === undefined; n++) {
      const r = await createConfigMap(i, `fill-${n}`, 512 * 1024)
      if (r.status === 201) acknowledged.push(`fill-${n}`)
      else refusal = r
    }
    expect(refusal, "the disk never filled up").toBeDefined()
    expect(refusal!.json).toMatchObject({ kind: "Status", apiVersion: "v1", status: "Failure" })
    expect(refusal!.status).toBeGreaterThanOrEqual(400)
    // still serving reads
    expect((await i.request("/readyz", { authorization: null })).status).toBe(200)
    expect((await i.request(`/api/v1/namespaces/rdd-system/configmaps/${acknowledged.at(-1)}`)).status).toBe(200)

    const pid = i.pid()!
    const stop = await i.rdd("svc", "stop", "--timeout=60s")
    expect(stop.code, stop.stderr).toBe(0)
    await awaitExit(pid)
    remount(mountpoint!, "size=128m")
    expect(integrity(i.paths["db"]!)).toBe("ok")
    await i.start()
    const list = await i.request("/api/v1/namespaces/rdd-system/configmaps")
    const present = new Set((list.json as { items: Array<{ metadata: { name: string } }> }).items.map((o) => o.metadata.name))
    expect(acknowledged.filter((n) => !present.has(n))).toEqual([])
    fullRefusal = JSON.stringify(refusal!.json)
    console.log(`disk full: ${acknowledged.length} writes of 512 KiB acknowledged before the refusal (${refusal!.status} ${JSON.stringify(refusal!.json).slice(0, 200)})`)
  }, 240_000)

  it("the refusal names the cause (the disk is full)", () => {
    expect(fullRefusal).toMatch(/full|space/i)
  })

  it("a disk that is full from the start: svc start fails fast and clearly", async () => {
    const i = await onTmpfs("disk-tiny", "16k")
    const started = Date.now()
    const r = await i.rdd("svc", "start", "--timeout=60s")
    expect(r.code, r.stderr).toBe(1)
    expect(Date.now() - started, "failed fast, not at the deadline").toBeLessThan(30_000)
    expectClearError(r.stderr)
    expect(r.stderr).toMatch(/no space|ENOSPC|SQLITE_FULL|disk is full|database or disk is full/i)
    expect(i.daemons()).toEqual([])
  }, 120_000)
})

describe.skipIf(canMount)("disk trouble", () => {
  it("is skipped: mounting a tmpfs needs root (CAP_SYS_ADMIN); CI runs as root", () => {
    expect(canMount).toBe(false)
  })
})
