/**
 * Multicall, decided once in src/main.ts from the name rdd was invoked by: a link
 * whose name cut at the first dot is `kubectl` (`kubectl`, `kubectl.exe`) runs
 * `rdd kubectl ...`, so even `--version` is kubectl's; any other name is rdd.
 * A script standing in for kubectl (RDD_KUBECTL) prints the words it was given.
 */
import { execFile } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { rddBin } from "../support/rdd.js"

let dir: string
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-multicall-"))
  for (const name of ["kubectl", "kubectl.exe", "kubectllike"]) fs.symlinkSync(rddBin, path.join(dir, name))
  fs.writeFileSync(path.join(dir, "fake-kubectl"), "#!/bin/sh\necho \"fake-kubectl $*\"\n", { mode: 0o755 })
}, 10_000)
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }), 10_000)

const run = (name: string, args: ReadonlyArray<string>) =>
  new Promise<{ code: number | null; stdout: string }>((resolve) =>
    execFile(process.execPath, [path.join(dir, name), ...args], {
      env: { ...process.env, HOME: dir, RDD_KUBECTL: path.join(dir, "fake-kubectl") },
      timeout: 60_000,
      killSignal: "SIGKILL"
    }, (error, stdout) => resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : null, stdout })))

describe("multicall", () => {
  it("a link named kubectl or kubectl.exe is kubectl, --version included; another name is rdd", async () => {
    expect(await run("kubectl", ["--version"])).toEqual({ code: 0, stdout: "fake-kubectl --version\n" })
    expect(await run("kubectl.exe", ["get", "pods", "--all-namespaces"])).toEqual({ code: 0, stdout: "fake-kubectl get pods --all-namespaces\n" })
    const rdd = await run("kubectllike", ["--version"])
    expect(rdd.code).toBe(0)
    expect(rdd.stdout).toMatch(/^v\d+\.\d+\.\d+ \(commit /)
  }, 120_000)
})
