/**
 * `rdd kubectl` and the multicall symlink: the real kubectl with the arguments
 * untouched and its exit code passed on; a `kubectl` symlink to rdd on PATH is
 * never mistaken for kubectl (no recursion); no kubectl → exit 1 saying how to
 * install it.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { rddBin } from "../support/rdd.js"

let dir: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-kubectl-"))
  fs.symlinkSync(rddBin, path.join(dir, "kubectl"))
}, 10_000)
afterAll(() => {
  fs.rmSync(dir, { recursive: true, force: true })
}, 10_000)

const run = (file: string, args: ReadonlyArray<string>, env: Record<string, string> = {}) =>
  new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    execFile(file, [...args], { env: { ...process.env, HOME: dir, ...env }, timeout: 30_000, killSignal: "SIGKILL" }, (error, stdout, stderr) =>
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout, stderr })))

const realKubectl = (process.env["PATH"] ?? "").split(":").map((d) => path.join(d, "kubectl")).find((p) => fs.existsSync(p))!

describe("rdd kubectl", () => {
  it("passes arguments and the exit code through, and works as a `kubectl` symlink", async () => {
    const version = await run(process.execPath, [rddBin, "kubectl", "version", "--client", "-o", "json"])
    expect(version.code).toBe(0)
    expect(JSON.parse(version.stdout).clientVersion).toBeDefined()
    const bad = await run(process.execPath, [rddBin, "kubectl", "get", "ns", "--kubeconfig", "/nonexistent/config"])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("/nonexistent/config")
    // a flag rdd itself would reject is kubectl's business
    const help = await run(process.execPath, [rddBin, "kubectl", "--help"])
    expect(help.code).toBe(0)
    expect(help.stdout).toContain("kubectl controls the Kubernetes cluster manager")

    // multicall: the symlink is first on PATH; the real kubectl is found after it, not the symlink again
    const viaLink = await run(path.join(dir, "kubectl"), ["version", "--client", "-o", "json"], {
      PATH: `${dir}:${path.dirname(realKubectl)}:${path.dirname(process.execPath)}`
    })
    expect(viaLink.code, viaLink.stderr).toBe(0)
    expect(JSON.parse(viaLink.stdout).clientVersion).toBeDefined()
  }, 60_000)

  it("no kubectl: exit 1 saying how to install it (and a symlink to rdd does not count)", async () => {
    const none = await run(process.execPath, [rddBin, "kubectl", "version"], { PATH: dir })
    expect(none.code).toBe(1)
    expect(none.stderr).toContain("kubectl was not found: install it")
    // rdd ctl says so before starting anything
    const ctl = await run(process.execPath, [rddBin, "--instance", "nokubectl", "ctl", "get", "ns"], { PATH: dir })
    expect(ctl.code).toBe(1)
    expect(ctl.stderr).toContain("kubectl was not found: install it")
    expect(fs.existsSync(path.join(dir, ".local", "share", "rancher-desktop-nokubectl"))).toBe(false)
    const bad = await run(process.execPath, [rddBin, "kubectl", "version"], { RDD_KUBECTL: "/no/such/kubectl" })
    expect(bad.code).toBe(1)
    expect(bad.stderr).toContain("RDD_KUBECTL=/no/such/kubectl is not an executable file")
  }, 60_000)
})
