/**
 * The LimaVM API and CLI on the real daemon (autostarted by the CLI) without
 * booting anything: VMs are created stopped (the qemu driver only writes the
 * instance directory). Covers the CRD as kubectl sees it, admission through HTTPS
 * (exit 3), idempotent verbs, the atomic name claim under concurrent creates,
 * `list`, `ctl wait-condition`, and delete through the finalizer.
 */
import { afterAll, assert, beforeAll, describe, it } from "@effect/vitest"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { messages, runRdd } from "../support/rdd.js"

const repo = path.resolve(import.meta.dirname, "../..")
const suffix = `li${process.pid % 100000}`
const home = fs.mkdtempSync(path.join(os.tmpdir(), "rdd-limavm-int-"))
const limaHome = path.join(home, `.rd${suffix}`, "lima")
const serviceDir = path.join(home, ".local", "share", `rancher-desktop-${suffix}`)
const template = path.join(home, "tpl.yaml")

const rdd = (args: ReadonlyArray<string>, timeoutMs = 60_000) =>
  runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info" }, timeoutMs })

beforeAll(() => {
  execFileSync("node", ["scripts/build.mjs"], { cwd: repo, stdio: "ignore" })
  // the real test guest's template: created stopped, nothing boots
  fs.copyFileSync(execFileSync("bash", [path.join(repo, "scripts/test-image.sh")], { encoding: "utf8", timeout: 300_000 }).trim(), template)
}, 300_000)

afterAll(async () => {
  await rdd(["svc", "stop", "--timeout=30s"], 40_000)
  try {
    const pid = Number(fs.readFileSync(path.join(serviceDir, "rdd.pid"), "utf8"))
    process.kill(pid, "SIGKILL")
  } catch {
    // stopped
  }
  fs.rmSync(home, { recursive: true, force: true })
}, 60_000)

describe.sequential("LimaVM API on the real daemon", () => {
  it("create (stopped) from a file: Created, Running=False/Stopped, both ConfigMaps owned; kubectl shows the printer column", async () => {
    const r = await rdd(["limavm", "create", "vm1", template, "-o", "json"])
    assert.strictEqual(r.code, 0, r.stderr)
    assert.strictEqual(JSON.parse(r.stdout).outcome, "created")
    assert.include(messages(r.stderr), `LimaVM "vm1" created in namespace "default" with template ConfigMap "vm1"`)
    const w = await rdd(["ctl", "wait-condition", "limavm/vm1", "Running=False", "--reason", "Stopped", "--timeout=20s"])
    assert.strictEqual(w.code, 0, w.stderr)
    const got = await rdd(["ctl", "get", "limavm", "vm1"])
    assert.match(got.stdout, /NAME\s+RUNNING/)
    assert.match(got.stdout, /vm1\s+false/)
    const vm = JSON.parse((await rdd(["ctl", "get", "limavm", "vm1", "-o", "json"])).stdout)
    const cms = JSON.parse((await rdd(["ctl", "get", "configmaps", "-o", "json"])).stdout).items as Array<any> // eslint-disable-line @typescript-eslint/no-explicit-any
    for (const name of ["vm1", "vm1-template"]) {
      const cm = cms.find((c) => c.metadata.name === name)
      assert.isDefined(cm, name)
      assert.strictEqual(cm.metadata.ownerReferences[0].uid, vm.metadata.uid)
    }
    assert.isTrue(fs.existsSync(path.join(limaHome, "vm1", "lima.yaml")))
    const all = await rdd(["ctl", "get", "all"])
    assert.include(all.stdout, "limavm.lima.rancherdesktop.io/vm1")
  }, 90_000)

  it("verbs are idempotent: create again, stop a stopped VM, delete an absent one", async () => {
    const again = await rdd(["limavm", "create", "vm1", template])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.include(messages(again.stderr), `LimaVM "vm1" already exists in namespace "default"`)
    // outcomes in each wait mode (docs/lifecycle.md, Outcomes)
    const stop = await rdd(["limavm", "stop", "vm1", "--timeout=20s", "-o", "json"])
    assert.strictEqual(stop.code, 0, stop.stderr)
    assert.strictEqual(JSON.parse(stop.stdout).outcome, "stopped")
    const stopNoWait = await rdd(["limavm", "stop", "vm1", "--wait=false", "-o", "json"])
    assert.strictEqual(JSON.parse(stopNoWait.stdout).outcome, "stopping")
    // deleting what exists nowhere is "not found" (as kubectl, limactl, docker do), unless asked to ignore it
    const none = await rdd(["limavm", "delete", "nope"])
    assert.strictEqual(none.code, 1, none.stderr)
    assert.include(messages(none.stderr), `LimaVM "nope" not found in any namespace`)
    const ignored = await rdd(["limavm", "delete", "nope", "--ignore-not-found", "-o", "json"])
    assert.strictEqual(ignored.code, 0, ignored.stderr)
    assert.strictEqual(JSON.parse(ignored.stdout).outcome, "noop")
    const missing = await rdd(["limavm", "start", "nope"])
    assert.strictEqual(missing.code, 1)
    assert.include(messages(missing.stderr), `LimaVM "nope" not found in any namespace`)
  }, 90_000)

  it("list matches limactl's columns; -o json is structured; logs of an absent VM is exit 1 not found", async () => {
    const table = await rdd(["limavm", "list"])
    assert.strictEqual(table.code, 0, table.stderr)
    const [header, row] = table.stdout.trimEnd().split("\n")
    assert.deepStrictEqual(header!.split(/\s+/), ["NAME", "NAMESPACE", "STATUS", "SSH", "VMTYPE", "ARCH", "CPUS", "MEMORY", "DISK", "RESTARTS", "DIR"])
    assert.deepStrictEqual(row!.split(/\s+/), ["vm1", "default", "Stopped", "-", "qemu", "x86_64", "1", "256MiB", "-", "0", path.join(limaHome, "vm1")])
    const json = JSON.parse((await rdd(["limavm", "list", "-o", "json"])).stdout) as Array<Record<string, any>> // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.strictEqual(json.length, 1)
    const vm = json[0]!
    assert.deepInclude(vm, { name: "vm1", namespace: "default", status: "Stopped", running: false, ssh: null, vmType: "qemu", arch: "x86_64", cpus: 1, memoryBytes: 256 * 1024 ** 2, restarts: 0 })
    assert.match(vm["creationTimestamp"], /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/)
    assert.notProperty(vm, "age")
    assert.isArray(vm["conditions"])
    const running = vm["conditions"].find((c: { type: string }) => c.type === "Running")
    assert.deepInclude(running, { type: "Running", status: "False", reason: "Stopped" })
    assert.isString(running.message)
    assert.match(running.lastTransitionTime, /^\d{4}-\d\d-\d\dT/)
    const logs = await rdd(["limavm", "logs", "nosuch"])
    assert.strictEqual(logs.code, 1, logs.stderr + logs.stdout)
    assert.strictEqual(logs.stdout, "")
    assert.include(messages(logs.stderr).join("\n"), `LimaVM "nosuch" not found`)
  }, 90_000)

  it("admission over HTTPS: exit 3 with the reference's messages, nothing stored", async () => {
    const inUse = await rdd(["limavm", "create", "vm1", template, "-n", "other"])
    assert.strictEqual(inUse.code, 3, inUse.stderr)
    assert.include(inUse.stderr, "admission webhook")
    assert.include(messages(inUse.stderr).join("\n"), `LimaVM name "vm1" is already used in namespace "default"; LimaVM names must be unique across all namespaces`)
    const noSource = await rdd(["limavm", "create", "vm9", "missing-cm"])
    assert.strictEqual(noSource.code, 3, noSource.stderr)
    assert.include(noSource.stderr, `configmaps \\"missing-cm\\" not found`)
    const badName = await rdd(["limavm", "create", "Bad.Name", template])
    assert.notStrictEqual(badName.code, 0)
    const immutable = await rdd(["ctl", "patch", "limavm", "vm1", "--type=merge", "-p", `{"spec":{"templateRef":{"name":"x"}}}`])
    assert.notStrictEqual(immutable.code, 0)
    assert.include(immutable.stderr, "templateRef is immutable")
    // another template for an existing VM: exit 1 naming the difference, as `svc create` does (never a silent exit 0)
    const viaCli = await rdd(["limavm", "create", "vm1", "another-template"])
    assert.strictEqual(viaCli.code, 1, viaCli.stderr)
    assert.include(messages(viaCli.stderr).join("\n"),
      `LimaVM "vm1" already exists in namespace "default" with template ConfigMap "vm1", not "another-template"; delete it first`)
    const other = path.join(home, "other.yaml")
    fs.writeFileSync(other, fs.readFileSync(template, "utf8").replace(/^(cpus|memory):.*$/m, "cpus: 3"))
    const changed = await rdd(["limavm", "create", "vm1", other])
    assert.strictEqual(changed.code, 1, changed.stderr)
    assert.match(messages(changed.stderr).join("\n"),
      /LimaVM "vm1" already exists in namespace "default" with a template that differs from file ".*other\.yaml" \(line \d+: .* now "cpus: 3"\)/)
    const same = await rdd(["limavm", "create", "vm1", template])
    assert.strictEqual(same.code, 0, same.stderr)
    const copyDelete = await rdd(["ctl", "delete", "configmap", "vm1-template"])
    assert.notStrictEqual(copyDelete.code, 0)
    assert.include(copyDelete.stderr, `cannot delete "vm1-template": owned by LimaVM; delete the LimaVM resource instead`)
    const list = JSON.parse((await rdd(["limavm", "list", "-o", "json"])).stdout) as Array<{ name: string }>
    assert.deepStrictEqual(list.map((r) => r.name), ["vm1"])
  }, 90_000)

  it("concurrent creates of one name in four namespaces: exactly one succeeds, the others exit 3", async () => {
    const results = await Promise.all(["a", "b", "c", "d"].map((ns) => rdd(["limavm", "create", "race", template, "-n", ns])))
    const codes = results.map((r) => r.code).sort()
    assert.deepStrictEqual(codes, [0, 3, 3, 3], results.map((r) => r.stderr).join("\n"))
  }, 90_000)

  it("create --dry-run: admission answers as for a real create, and nothing stays (no LimaVM, ConfigMap, copy, claim or namespace)", async () => {
    const dry = await rdd(["limavm", "create", "dry", template, "--dry-run", "-o", "json"])
    assert.strictEqual(dry.code, 0, dry.stderr)
    assert.strictEqual(JSON.parse(dry.stdout).outcome, "noop")
    assert.include(messages(dry.stderr), `LimaVM "dry" validated in namespace "default" with template ConfigMap "dry" (dry run: nothing was created)`)
    // the same check, rejected: the name is taken in another namespace (exit 3, as the real create)
    const taken = await rdd(["limavm", "create", "vm1", template, "-n", "other", "--dry-run"])
    assert.strictEqual(taken.code, 3, taken.stderr)
    assert.include(messages(taken.stderr).join("\n"), `LimaVM name "vm1" is already used in namespace "default"`)
    const bad = path.join(home, "bad.yaml")
    fs.writeFileSync(bad, fs.readFileSync(template, "utf8").replace(/^arch:.*$/m, `arch: "cray-1"`))
    const invalid = await rdd(["limavm", "create", "badtpl", bad, "--dry-run"])
    assert.strictEqual(invalid.code, 3, invalid.stderr)
    assert.include(invalid.stderr, "failed to validate template")
    // a namespace the dry run would have to create: said clearly, and not created
    const noNs = await rdd(["limavm", "create", "dry", template, "-n", "nowhere", "--dry-run"])
    assert.strictEqual(noNs.code, 1, noNs.stderr)
    assert.include(messages(noNs.stderr).join("\n"), `namespace "nowhere" does not exist, so a dry run cannot check a LimaVM in it`)
    const left = await rdd(["ctl", "get", "limavm,configmaps,namespaces", "-A", "-o", "name"])
    assert.strictEqual(left.code, 0, left.stderr)
    assert.notMatch(left.stdout, /\/(dry|badtpl)(-template)?$|limavm-name-(dry|badtpl)|namespace\/nowhere$/m, left.stdout)
    assert.isFalse(fs.existsSync(path.join(limaHome, "dry")))
    // the claim was not taken: the name is free for a real create in another namespace
    const real = await rdd(["limavm", "create", "dry", template, "-n", "other"])
    assert.strictEqual(real.code, 0, real.stderr)
    assert.strictEqual((await rdd(["limavm", "delete", "dry", "--timeout=30s"])).code, 0)
  }, 120_000)

  it("create from a file whose LimaVM is rejected removes the ConfigMap it made", async () => {
    const bad = path.join(home, "bad.yaml")
    fs.writeFileSync(bad, fs.readFileSync(template, "utf8").replace(/^arch:.*$/m, `arch: "cray-1"`))
    const r = await rdd(["limavm", "create", "badvm", bad])
    assert.strictEqual(r.code, 3, r.stderr)
    const said = messages(r.stderr)
    assert.include(said, `ConfigMap "badvm" created in namespace "default" with template from file "${bad}"`)
    assert.include(said, `Cleaning up created ConfigMap "badvm"`)
    const cm = await rdd(["ctl", "get", "configmap", "badvm", "--ignore-not-found", "-o", "name"])
    assert.strictEqual(cm.code, 0, cm.stderr)
    assert.strictEqual(cm.stdout, "")
    // and the name can be used at once with a valid file (no leftover blocks it)
    const ok = await rdd(["limavm", "create", "badvm", template])
    assert.strictEqual(ok.code, 0, ok.stderr)
    assert.strictEqual((await rdd(["limavm", "delete", "badvm", "--timeout=30s"])).code, 0)
  }, 120_000)

  it("edit: the template copy through the API in KUBE_EDITOR (before EDITOR/VISUAL); unchanged, reopen on rejection, give up, cleared", async () => {
    const editor = (name: string, body: string) => {
      const file = path.join(home, name)
      fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 })
      return file
    }
    const withEditor = (args: ReadonlyArray<string>, kubeEditor: string) =>
      runRdd(args, { home, env: { RDD_INSTANCE: suffix, RDD_LOG_LEVEL: "info", KUBE_EDITOR: kubeEditor, EDITOR: "false", VISUAL: "false" }, timeoutMs: 60_000 })
    const template = async () =>
      JSON.parse((await rdd(["ctl", "get", "configmap", "vm1-template", "-o", "json"])).stdout).data.template as string

    const twoCpus = await withEditor(["limavm", "edit", "vm1"], editor("cpus2.sh", `sed -i 's/^cpus: .*/cpus: 2/' "$1"`))
    assert.strictEqual(twoCpus.code, 0, twoCpus.stderr)
    assert.include(messages(twoCpus.stderr), `Template ConfigMap "vm1-template" updated successfully`)
    assert.match(await template(), /^cpus: 2$/m)

    const same = await withEditor(["limavm", "edit", "vm1"], "true")
    assert.strictEqual(same.code, 0, same.stderr)
    assert.include(messages(same.stderr), "No changes made to template, skipping update")

    // first save is rejected by admission; the editor opens again with the reason on top and fixes it
    const seen = path.join(home, "seen.txt")
    const fixer = editor("fixer.sh", [
      `if grep -q '^# rdd:' "$1"; then cp "$1" ${JSON.stringify(seen)}; sed -i -e 's/^arch: .*/arch: x86_64/' -e 's/^cpus: .*/cpus: 3/' "$1"`,
      `else sed -i 's/^arch: .*/arch: "cray-1"/' "$1"; fi`
    ].join("\n"))
    const fixed = await withEditor(["limavm", "edit", "vm1"], fixer)
    assert.strictEqual(fixed.code, 0, fixed.stderr)
    assert.match(fs.readFileSync(seen, "utf8"), /^# rdd: .*failed to validate template/m)
    const after = await template()
    assert.match(after, /^cpus: 3$/m)
    assert.match(after, /^arch: x86_64$/m)
    assert.notInclude(after, "# rdd:")

    // saving the rejected text again gives up: exit 3, the file is kept
    const stubborn = await withEditor(["limavm", "edit", "vm1"], editor("stubborn.sh", `sed -i 's/^arch: .*/arch: "cray-1"/' "$1"`))
    assert.strictEqual(stubborn.code, 3, stubborn.stderr)
    const gaveUp = messages(stubborn.stderr).join("\n")
    assert.include(gaveUp, "Edit cancelled, no valid changes were saved")
    const kept = /your changes are kept in (\S+\.yaml)/.exec(gaveUp)
    assert.isNotNull(kept, gaveUp)
    assert.match(fs.readFileSync(kept![1]!, "utf8"), /cray-1/)
    fs.rmSync(path.dirname(kept![1]!), { recursive: true, force: true })
    assert.match(await template(), /^cpus: 3$/m)

    const cleared = await withEditor(["limavm", "edit", "vm1"], editor("clear.sh", `: > "$1"`))
    assert.strictEqual(cleared.code, 1, cleared.stderr)
    assert.include(messages(cleared.stderr), "template data was cleared, aborting edit")
    const failing = await withEditor(["limavm", "edit", "vm1"], "false")
    assert.strictEqual(failing.code, 1, failing.stderr)
    assert.match(messages(failing.stderr).join("\n"), /the editor "false" exited with code 1/)
    const missing = await withEditor(["limavm", "edit", "nope"], "true")
    assert.strictEqual(missing.code, 1, missing.stderr)
    assert.include(messages(missing.stderr), `LimaVM "nope" not found in any namespace`)
    assert.match(await template(), /^cpus: 3$/m)
  }, 180_000)

  it("delete goes through the finalizer: object, template copy, file ConfigMap, instance directory and name claim all gone", async () => {
    const d = await rdd(["limavm", "delete", "vm1", "--timeout=30s", "-o", "json"])
    assert.strictEqual(d.code, 0, d.stderr)
    assert.strictEqual(JSON.parse(d.stdout).outcome, "deleted")
    const noWait = await rdd(["limavm", "delete", "race", "--wait=false", "-o", "json"])
    assert.strictEqual(noWait.code, 0, noWait.stderr)
    assert.strictEqual(JSON.parse(noWait.stdout).outcome, "deleting")
    // waits for a deletion under way, or finds nothing left to delete
    const after = await rdd(["limavm", "delete", "race", "--timeout=30s", "--ignore-not-found", "-o", "json"])
    assert.strictEqual(after.code, 0, after.stderr)
    assert.include(["deleted", "noop"], JSON.parse(after.stdout).outcome)
    const left = await rdd(["ctl", "get", "limavm,configmaps", "-A", "-o", "name"])
    assert.notMatch(left.stdout, /^limavm|^configmap\/(vm1|race)(-template)?$|limavm-name-/m, left.stdout)
    assert.isFalse(fs.existsSync(path.join(limaHome, "vm1")))
    // the name is free again, in another namespace
    const again = await rdd(["limavm", "create", "vm1", template, "-n", "other"])
    assert.strictEqual(again.code, 0, again.stderr)
    assert.strictEqual((await rdd(["limavm", "delete", "vm1"])).code, 0)
  }, 120_000)
})
