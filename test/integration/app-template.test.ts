/**
 * The App's VM template is saved on the App (annotation), not read from whichever
 * shell (auto)starts the control plane: created with RDD_APP_TEMPLATE, stopped,
 * autostarted again from a shell without it — the App keeps its template. A later
 * different RDD_APP_TEMPLATE is reported, not applied. No VM boots (running=false).
 */
import { execFileSync } from "node:child_process"
import { readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"
import { afterAll, describe, expect, it } from "vitest"
import { uniqueSuffix } from "../support/daemon.js"
import { messages, runRdd, tempHome } from "../support/rdd.js"

const root = path.resolve(import.meta.dirname, "../..")
const { home, cleanup } = tempHome("rdd-apptpl-")
const suffix = uniqueSuffix()
const rdd = (args: ReadonlyArray<string>, env: Record<string, string | undefined> = {}) =>
  runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info", RDD_APP_TEMPLATE: undefined, ...env }, timeoutMs: 120_000 })

afterAll(async () => {
  await rdd(["svc", "stop", "--timeout=30s"])
  try {
    process.kill(Number(readFileSync(path.join(home, ".local", "share", `rancher-desktop-${suffix}`, "rdd.pid"), "utf8")), "SIGKILL")
  } catch {
    // stopped
  }
  cleanup()
}, 60_000)

describe("the App's VM template is durable", () => {
  it("saved at creation from RDD_APP_TEMPLATE, kept across an autostart without it, a different one reported", async () => {
    const guest = execFileSync("npm", ["run", "-s", "test-image"], { cwd: root, encoding: "utf8", timeout: 600_000 }).trim()
    const tpl = path.join(home, "app-vm.yaml")
    writeFileSync(tpl, `# saved-template-marker\n${readFileSync(guest, "utf8")}`)

    const created = await rdd(["set", "running=false", "--timeout=90s"], { RDD_APP_TEMPLATE: tpl })
    expect(created.code, created.stderr).toBe(0)
    expect(messages(created.stderr)).toContain(`the App's VM template is "${tpl}" (saved on the App)`)
    const app = await rdd(["ctl", "get", "app", "app", "-o", "yaml"])
    expect(app.stdout).toContain(`app.rancherdesktop.io/vm-template: ${tpl}`)

    expect((await rdd(["svc", "stop"])).code).toBe(0)
    // autostart from a shell without RDD_APP_TEMPLATE
    const again = await rdd(["set", "running=false", "virtualMachine.cpus=2", "--timeout=90s"])
    expect(again.code, again.stderr).toBe(0)
    const copy = await rdd(["ctl", "get", "configmap", "rd-template", "-n", "default", "-o", "jsonpath={.data.template}"])
    expect(copy.code, copy.stderr).toBe(0)
    expect(copy.stdout).toContain("# saved-template-marker")
    expect(copy.stdout).toMatch(/^cpus: 2$/m)

    // a different RDD_APP_TEMPLATE later: reported, not applied
    const other = path.join(home, "other.yaml")
    writeFileSync(other, readFileSync(guest, "utf8"))
    const changed = await rdd(["set", "running=false", "--timeout=90s"], { RDD_APP_TEMPLATE: other })
    expect(changed.code, changed.stderr).toBe(0)
    expect(messages(changed.stderr).join("\n")).toContain(
      `RDD_APP_TEMPLATE=${other} is not applied: the App's VM template is "${tpl}" (annotation app.rancherdesktop.io/vm-template)`
    )
    expect((await rdd(["ctl", "get", "app", "app", "-o", "yaml"])).stdout).toContain(`app.rancherdesktop.io/vm-template: ${tpl}`)
  }, 400_000)
})
